package io.fedtune.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.fedtune.testsupport.ServiceChecks;
import io.fedtune.testsupport.TestTokens;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.core.env.Environment;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The gateway calling the services over HTTPS, configured as k8s/components/internal-tls does (docs/tls.md, "Between
 * the services"): {@code https://} service URIs and the PEM bundle {@code fedtune} (the service certificate, and
 * {@code ca.crt} as the trust) named in {@code spring.cloud.gateway.server.webflux.httpclient.ssl.ssl-bundle}.
 *
 * <p>The aggregator presents the certificate the bundle trusts; the registry presents another one, as an impostor on
 * the network would.
 */
@SpringBootTest(
        webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = "spring.cloud.gateway.server.webflux.httpclient.ssl.ssl-bundle=fedtune")
class InternalTlsGatewayTests {

    static final TestCertificate internal = TestCertificate.localhost("internal");
    static final TestCertificate impostor = TestCertificate.localhost("impostor");
    static final TestUpstream aggregatorOverTls = TestUpstream.startHttps("aggregator", internal.presentedBy());
    static final TestUpstream registryWithAnUntrustedCertificate =
            TestUpstream.startHttps("registry", impostor.presentedBy());
    static final TestTokens tokens = TestTokens.shared();

    @Autowired
    Environment environment;

    @DynamicPropertySource
    static void internalTls(DynamicPropertyRegistry registry) {
        TestTokens.register(registry);
        registry.add("fedtune.gateway.aggregator-uri", aggregatorOverTls::url);
        registry.add("fedtune.gateway.registry-uri", registryWithAnUntrustedCertificate::url);
        registry.add(
                "spring.ssl.bundle.pem.fedtune.keystore.certificate",
                () -> internal.certificate().toString());
        registry.add(
                "spring.ssl.bundle.pem.fedtune.keystore.private-key",
                () -> internal.privateKey().toString());
        registry.add(
                "spring.ssl.bundle.pem.fedtune.truststore.certificate",
                () -> internal.certificate().toString());
    }

    @AfterAll
    static void stop() {
        aggregatorOverTls.close();
        registryWithAnUntrustedCertificate.close();
    }

    @Test
    void aRouteToAServiceOverHttpsReachesItWhenTheGatewayTrustsItsCertificate() {
        assertThat(aggregatorOverTls.url()).startsWith("https://localhost:");
        HttpResponse<String> response = get("/.well-known/openid-configuration", null);
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).contains("\"service\":\"aggregator\"").contains("\"tls\":true");
    }

    @Test
    void aServiceWhoseCertificateTheGatewayDoesNotTrustIsNeverReached() {
        HttpResponse<String> response = get("/api/v1/models", tokens.admin());
        ServiceChecks.assertProblem(response, 502);
        assertThat(response.body()).doesNotContain("\"service\":\"registry\"");
    }

    HttpResponse<String> get(String path, String token) {
        HttpRequest.Builder request = HttpRequest.newBuilder(
                        URI.create("http://localhost:" + environment.getProperty("local.server.port") + path))
                .timeout(Duration.ofSeconds(30));
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        return GatewayTestBase.send(request.GET());
    }
}
