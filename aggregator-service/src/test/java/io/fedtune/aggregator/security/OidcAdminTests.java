package io.fedtune.aggregator.security;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jwt.JWTClaimsSet;
import io.fedtune.testsupport.ServiceChecks;
import io.fedtune.testsupport.TestTokens;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.core.env.Environment;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/** With an external OIDC issuer configured, its tokens identify admins and viewers and the bootstrap admin is off. */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class OidcAdminTests {

    @DynamicPropertySource
    static void externalIssuer(DynamicPropertyRegistry registry) {
        registry.add(
                "fedtune.security.oidc.issuer-uri", () -> TestTokens.shared().issuerUri());
        registry.add(
                "fedtune.security.oidc.jwk-set-uri", () -> TestTokens.shared().issuerUri() + "/oauth2/jwks");
    }

    @Autowired
    Environment environment;

    @Autowired
    JdbcTemplate jdbc;

    private HttpResponse<String> send(String method, String path, String token, String body) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(
                        URI.create("http://localhost:" + environment.getProperty("local.server.port") + path))
                .header(
                        "Content-Type",
                        path.equals("/oauth2/token") ? "application/x-www-form-urlencoded" : "application/json")
                .method(
                        method,
                        body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        return HttpClient.newHttpClient().send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void oidcViewersReadAndOidcAdminsManage() throws Exception {
        TestTokens oidc = TestTokens.shared();
        assertThat(send("GET", "/api/v1/federations", oidc.viewer(), null).statusCode())
                .isEqualTo(200);
        HttpResponse<String> viewerWrites =
                send("POST", "/api/v1/federations/" + java.util.UUID.randomUUID() + "/start", oidc.viewer(), "");
        ServiceChecks.assertProblem(viewerWrites, 403);
        assertThat(send("GET", "/api/v1/audit", oidc.admin(), null).statusCode())
                .isEqualTo(200);
        ServiceChecks.assertProblem(send("GET", "/api/v1/federations", oidc.expiredAdmin(), null), 401);
        ServiceChecks.assertProblem(send("GET", "/api/v1/federations", oidc.forgedAdmin(), null), 401);
    }

    @Test
    void theOpenEndpointsAnswerByTheirOwnRulesWhateverTokenComesWithTheRequest() throws Exception {
        TestTokens oidc = TestTokens.shared();
        for (String token : new String[] {oidc.expiredAdmin(), oidc.forgedAdmin(), "not.a.jwt"}) {
            assertThat(send("GET", "/oauth2/jwks", token, null).statusCode()).isEqualTo(200);
            assertThat(send("GET", "/.well-known/openid-configuration", token, null)
                            .statusCode())
                    .isEqualTo(200);
            HttpResponse<String> tokenRequest = send(
                    "POST", "/oauth2/token", token, "grant_type=client_credentials&client_id=admin&client_secret=x");
            ServiceChecks.assertProblem(tokenRequest, 401);
            assertThat(tokenRequest.body()).contains("urn:fedtune:problem:invalid-client");
            HttpResponse<String> enrollment =
                    send("POST", "/api/v1/agent/enroll", token, "{\"token\":\"ftet_unknown\",\"name\":\"someone\"}");
            ServiceChecks.assertProblem(enrollment, 401);
            assertThat(enrollment.body()).contains("urn:fedtune:problem:invalid-enrollment-token");
        }
    }

    @Test
    void theBootstrapAdminIsOffAndNothingIsGeneratedForIt() throws Exception {
        ServiceChecks.assertProblem(
                send("POST", "/oauth2/token", null, "grant_type=client_credentials&client_id=admin&client_secret=x"),
                401);
        assertThat(jdbc.queryForObject("SELECT count(*) FROM admin_credential", Integer.class))
                .isZero();
    }

    @Test
    void aTokenClaimingThisIssuerButSignedElsewhereIsRefused() throws Exception {
        String issuer = environment.getProperty("fedtune.security.issuer-uri", "http://localhost:8081");
        String forged = TestTokens.shared()
                .sign(new JWTClaimsSet.Builder()
                        .issuer(issuer)
                        .subject("mallory")
                        .audience("fedtune")
                        .claim("roles", List.of("ADMIN"))
                        .issueTime(new Date())
                        .expirationTime(Date.from(Instant.now().plusSeconds(600)))
                        .build());
        ServiceChecks.assertProblem(send("GET", "/api/v1/federations", forged, null), 401);
    }
}
