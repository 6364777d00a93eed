package io.fedtune.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fedtune.testsupport.TestTokens;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.core.env.Environment;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The gateway terminating TLS itself, configured exactly as docs/tls.md tells an operator without an Ingress: a PEM
 * SSL bundle named {@code edge} and {@code server.ssl.bundle=edge}.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class GatewayTlsTerminationTests {

    static final TestCertificate certificate = TestCertificate.localhost("edge");

    @Autowired
    Environment environment;

    @DynamicPropertySource
    static void tls(DynamicPropertyRegistry registry) {
        TestTokens.register(registry);
        registry.add(
                "spring.ssl.bundle.pem.edge.keystore.certificate",
                () -> certificate.certificate().toString());
        registry.add(
                "spring.ssl.bundle.pem.edge.keystore.private-key",
                () -> certificate.privateKey().toString());
        registry.add("server.ssl.bundle", () -> "edge");
    }

    @Test
    void aClientThatTrustsTheCertificateGetsTheHealthOverHttps() throws Exception {
        HttpResponse<String> response = get(client(certificate.trustedBy()), "https");
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).contains("\"status\":\"UP\"");
        assertThat(response.sslSession().orElseThrow().getPeerCertificates()[0]).isEqualTo(certificate.x509());
    }

    @Test
    void aClientThatDoesNotTrustTheCertificateFailsTheHandshake() throws Exception {
        HttpClient trustingOnlyPublicAuthorities = client(SSLContext.getDefault());
        assertThatThrownBy(() -> get(trustingOnlyPublicAuthorities, "https")).isInstanceOf(SSLHandshakeException.class);
    }

    @Test
    void plainHttpOnTheTlsPortGetsNoNormalAnswer() throws Exception {
        int status;
        try {
            status = get(client(SSLContext.getDefault()), "http").statusCode();
        } catch (IOException closedWithoutAnAnswer) {
            status = -1;
        }
        assertThat(status).isNotEqualTo(200);
    }

    HttpResponse<String> get(HttpClient client, String scheme) throws IOException, InterruptedException {
        URI uri = URI.create(
                scheme + "://localhost:" + environment.getProperty("local.server.port") + "/actuator/health");
        return client.send(
                HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    static HttpClient client(SSLContext tls) {
        return HttpClient.newBuilder()
                .sslContext(tls)
                .connectTimeout(Duration.ofSeconds(5))
                .build();
    }
}
