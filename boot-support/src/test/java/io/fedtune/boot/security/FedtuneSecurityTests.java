package io.fedtune.boot.security;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jwt.JWTClaimsSet;
import io.fedtune.testsupport.ServiceChecks;
import io.fedtune.testsupport.TestTokens;
import java.net.http.HttpResponse;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.core.env.Environment;
import org.springframework.security.core.Authentication;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RestController;

@SpringBootTest(
        classes = FedtuneSecurityTests.App.class,
        webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {
            "fedtune.security.oidc.issuer-uri=https://login.example.org/realms/acme",
            "fedtune.security.oidc.roles-claim=realm_access.roles",
            // an operator who exposes more of the actuator than the services do
            "management.endpoints.web.exposure.include=health,info,env,loggers"
        })
class FedtuneSecurityTests {

    static final String OIDC_ISSUER = "https://login.example.org/realms/acme";

    @Autowired
    Environment environment;

    @DynamicPropertySource
    static void issuers(DynamicPropertyRegistry registry) {
        TestTokens.register(registry);
        // the external issuer's keys: here the same test key, served by the same local JWKS endpoint
        registry.add(
                "fedtune.security.oidc.jwk-set-uri", () -> TestTokens.shared().issuerUri() + "/oauth2/jwks");
    }

    HttpResponse<String> whoami(String token) {
        return ServiceChecks.get(
                "http://localhost:" + environment.getProperty("local.server.port") + "/api/v1/whoami/fed-1", token);
    }

    @Test
    void platformTokenAuthenticatesWithItsRolesAndFederations() {
        HttpResponse<String> response = whoami(TestTokens.shared().agent("client-7", "fed-1", "fed-2"));
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).isEqualTo("client-7 [AGENT] mayRead=true");
    }

    @Test
    void agentOfAnotherFederationMayNotRead() {
        assertThat(whoami(TestTokens.shared().agent("client-8", "fed-9")).body())
                .isEqualTo("client-8 [AGENT] mayRead=false");
    }

    @Test
    void missingExpiredForgedAndForeignAudienceTokensAreRefused() {
        TestTokens tokens = TestTokens.shared();
        for (String token : new String[] {
            null, "not-a-jwt", tokens.expiredAdmin(), tokens.forgedAdmin(), tokens.adminForAudience("someone-else")
        }) {
            ServiceChecks.assertProblem(whoami(token), 401);
        }
    }

    @Test
    void tokenFromAnUntrustedIssuerIsRefused() {
        String token = TestTokens.shared().sign(claims("https://evil.example.com", Map.of("roles", List.of("ADMIN"))));
        ServiceChecks.assertProblem(whoami(token), 401);
    }

    @Test
    void externalOidcTokenGetsRolesFromTheConfiguredClaim() {
        String token = TestTokens.shared()
                .sign(claims(OIDC_ISSUER, Map.of("realm_access", Map.of("roles", List.of("viewer", "unknown")))));
        HttpResponse<String> response = whoami(token);
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).isEqualTo("alice [VIEWER] mayRead=true");
    }

    @Test
    void probesStayOpen() {
        assertThat(ServiceChecks.get(
                                "http://localhost:" + environment.getProperty("local.server.port") + "/actuator/health")
                        .statusCode())
                .isEqualTo(200);
    }

    @Test
    void actuatorEndpointsOtherThanProbesInfoAndMetricsNeedAToken() {
        String base = "http://localhost:" + environment.getProperty("local.server.port");
        assertThat(ServiceChecks.get(base + "/actuator/info").statusCode()).isEqualTo(200);
        ServiceChecks.assertProblem(ServiceChecks.get(base + "/actuator/env"), 401);
        ServiceChecks.assertProblem(ServiceChecks.get(base + "/actuator/loggers"), 401);
        assertThat(ServiceChecks.get(base + "/actuator/env", TestTokens.shared().admin())
                        .statusCode())
                .isEqualTo(200);
    }

    private static JWTClaimsSet claims(String issuer, Map<String, Object> extra) {
        Instant now = Instant.now();
        JWTClaimsSet.Builder builder = new JWTClaimsSet.Builder()
                .issuer(issuer)
                .subject("alice")
                .audience("fedtune")
                .issueTime(Date.from(now))
                .expirationTime(Date.from(now.plusSeconds(300)));
        extra.forEach(builder::claim);
        return builder.build();
    }

    @SpringBootConfiguration
    @EnableAutoConfiguration
    static class App {

        @RestController
        static class WhoAmI {
            @GetMapping("/api/v1/whoami/{federation}")
            String whoami(Authentication authentication, @PathVariable String federation) {
                FedtunePrincipal principal = FedtunePrincipal.from(authentication);
                return principal.subject() + " " + principal.roles() + " mayRead=" + principal.mayRead(federation);
            }
        }
    }
}
