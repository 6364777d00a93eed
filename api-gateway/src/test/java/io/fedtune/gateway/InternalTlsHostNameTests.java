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
 * The gateway configured for internal TLS as docs/tls.md says, in front of a service whose certificate it trusts but
 * which was issued for another host name ({@code registry}, while the gateway calls {@code localhost}): the name is
 * checked, not only the signature, so one service's certificate cannot stand in for another's.
 */
@SpringBootTest(
        webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = "spring.cloud.gateway.server.webflux.httpclient.ssl.ssl-bundle=fedtune")
class InternalTlsHostNameTests {

    static final TestCertificate registryCertificate = TestCertificate.forHost("registry", "registry", "dns:registry");
    static final TestUpstream aggregatorWithTheRegistrysCertificate =
            TestUpstream.startHttps("aggregator", registryCertificate.presentedBy());

    @Autowired
    Environment environment;

    @DynamicPropertySource
    static void internalTls(DynamicPropertyRegistry registry) {
        TestTokens.register(registry);
        registry.add("fedtune.gateway.aggregator-uri", aggregatorWithTheRegistrysCertificate::url);
        registry.add(
                "spring.ssl.bundle.pem.fedtune.truststore.certificate",
                () -> registryCertificate.certificate().toString());
    }

    @AfterAll
    static void stop() {
        aggregatorWithTheRegistrysCertificate.close();
    }

    @Test
    void aTrustedCertificateForAnotherHostIsRefusedWithA502() {
        HttpResponse<String> response = GatewayTestBase.send(HttpRequest.newBuilder(URI.create("http://localhost:"
                        + environment.getProperty("local.server.port") + "/.well-known/openid-configuration"))
                .timeout(Duration.ofSeconds(30))
                .GET());
        ServiceChecks.assertProblem(response, 502);
        assertThat(response.body())
                .contains("urn:fedtune:problem:upstream-failed")
                .doesNotContain("\"service\"");
    }
}
