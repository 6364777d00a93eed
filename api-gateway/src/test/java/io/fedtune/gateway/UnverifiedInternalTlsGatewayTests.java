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
 * The gateway pointed at a service over {@code https://} without the trust configuration of docs/tls.md (no {@code
 * httpclient.ssl.ssl-bundle}): it verifies the service's certificate against the JVM's public authorities, so a
 * certificate from the internal CA is refused rather than accepted unchecked.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class UnverifiedInternalTlsGatewayTests {

    static final TestCertificate internal = TestCertificate.localhost("internal");
    static final TestUpstream aggregatorOverTls = TestUpstream.startHttps("aggregator", internal.presentedBy());

    @Autowired
    Environment environment;

    @DynamicPropertySource
    static void internalTlsWithoutTrust(DynamicPropertyRegistry registry) {
        TestTokens.register(registry);
        registry.add("fedtune.gateway.aggregator-uri", aggregatorOverTls::url);
    }

    @AfterAll
    static void stop() {
        aggregatorOverTls.close();
    }

    @Test
    void aServiceOverHttpsIsRefusedWithA502WhenTheGatewayIsNotToldToTrustItsCertificate() {
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
