package io.fedtune.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.fedtune.testsupport.ServiceChecks;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;

/**
 * The gateway's own checks, before any service sees the request. Services behind it here are echo servers, so a 200
 * proves the gateway let the request through and a 401/403 proves it stopped it.
 */
class GatewayAccessTests extends GatewayTestBase {

    @Test
    void requestsWithoutAValidTokenNeverLeaveTheGateway() {
        String[] bad = {
            null, tokens.expiredAdmin(), tokens.forgedAdmin(), tokens.adminForAudience("someone-else"), "not.a.jwt",
        };
        for (String token : bad) {
            for (String path : new String[] {
                "/api/v1/federations", "/api/v1/audit", "/api/v1/models", "/api/v1/agent/federations/f1/tasks"
            }) {
                HttpResponse<String> response = get(path, token);
                ServiceChecks.assertProblem(response, 401);
                assertThat(response.headers().firstValue("WWW-Authenticate")).hasValue("Bearer");
                assertThat(response.body()).doesNotContain("\"service\"");
            }
        }
    }

    @Test
    void tokenRequestsEnrollmentKeysAndDocsAreOpen() {
        assertThat(post(
                                "/oauth2/token",
                                null,
                                "application/x-www-form-urlencoded",
                                "grant_type=client_credentials".getBytes())
                        .statusCode())
                .isEqualTo(200);
        assertThat(postJson("/api/v1/agent/enroll", null, "{}").statusCode()).isEqualTo(200);
        assertThat(get("/oauth2/jwks", null).statusCode()).isEqualTo(200);
        assertThat(get("/actuator/health/readiness", null).statusCode()).isEqualTo(200);
        assertThat(get("/actuator/prometheus", null).statusCode()).isEqualTo(200);
    }

    @Test
    void openPathsIgnoreABadTokenInsteadOfRefusingIt() {
        for (String token : new String[] {tokens.expiredAdmin(), tokens.forgedAdmin(), "not.a.jwt"}) {
            assertThat(post(
                                    "/oauth2/token",
                                    token,
                                    "application/x-www-form-urlencoded",
                                    "grant_type=client_credentials".getBytes())
                            .statusCode())
                    .isEqualTo(200);
            assertThat(postJson("/api/v1/agent/enroll", token, "{}").statusCode())
                    .isEqualTo(200);
            assertThat(get("/oauth2/jwks", token).statusCode()).isEqualTo(200);
            assertThat(get("/.well-known/openid-configuration", token).statusCode())
                    .isEqualTo(200);
            assertThat(get("/actuator/health/readiness", token).statusCode()).isEqualTo(200);
            // the same token is still refused everywhere else
            ServiceChecks.assertProblem(get("/api/v1/federations", token), 401);
            ServiceChecks.assertProblem(postJson("/api/v1/agent/heartbeat", token, "{}"), 401);
        }
    }

    @Test
    void aViewerReadsButChangesNothing() {
        String viewer = tokens.viewer();
        assertThat(get("/api/v1/federations/f1", viewer).statusCode()).isEqualTo(200);
        assertThat(get("/api/v1/audit", viewer).statusCode()).isEqualTo(200);
        assertThat(get("/api/v1/adapters/a1", viewer).statusCode()).isEqualTo(200);
        ServiceChecks.assertProblem(postJson("/api/v1/federations", viewer, "{}"), 403);
        ServiceChecks.assertProblem(postJson("/api/v1/federations/f1/start", viewer, "{}"), 403);
        ServiceChecks.assertProblem(postJson("/api/v1/models", viewer, "{}"), 403);
        ServiceChecks.assertProblem(send(request("/api/v1/adapters/a1", viewer).DELETE()), 403);
        ServiceChecks.assertProblem(get("/api/v1/agent/federations/f1/tasks", viewer), 403);
    }

    @Test
    void anAdminManagesFederationsModelsAndAdapters() {
        String admin = tokens.admin();
        assertThat(postJson("/api/v1/federations", admin, "{}").statusCode()).isEqualTo(200);
        assertThat(send(request("/api/v1/federations/f1", admin).DELETE()).statusCode())
                .isEqualTo(200);
        assertThat(postJson("/api/v1/models", admin, "{}").statusCode()).isEqualTo(200);
        assertThat(postJson("/api/v1/adapters", admin, "{}").statusCode()).isEqualTo(200);
        // the agent API is for agents
        ServiceChecks.assertProblem(postJson("/api/v1/agent/federations/f1/tasks", admin, "{}"), 403);
    }

    @Test
    void anAgentReachesOnlyItsOwnFederations() {
        String agent = tokens.agent("client-a", "f1", "f2");
        assertThat(get("/api/v1/agent/federations/f1/tasks", agent).statusCode())
                .isEqualTo(200);
        assertThat(postJson("/api/v1/agent/federations/f2/rounds/3/updates", agent, "{}")
                        .statusCode())
                .isEqualTo(200);
        assertThat(get("/api/v1/agent/federations/f2/adapters/latest", agent).statusCode())
                .isEqualTo(200);
        assertThat(postJson("/api/v1/agent/heartbeat", agent, "{}").statusCode())
                .isEqualTo(200);

        ServiceChecks.assertProblem(get("/api/v1/agent/federations/f3/tasks", agent), 403);
        ServiceChecks.assertProblem(postJson("/api/v1/agent/federations/f3/rounds/3/updates", agent, "{}"), 403);
        ServiceChecks.assertProblem(get("/api/v1/agent/federations/f3/adapters/latest", agent), 403);
        ServiceChecks.assertProblem(get("/api/v1/agent/federations/f10/tasks", agent), 403);

        // the registry files adapters by federation, and the same rule holds there
        assertThat(get("/api/v1/adapters/f1/versions", agent).statusCode()).isEqualTo(200);
        assertThat(get("/api/v1/adapters/f2/latest/adapter.safetensors", agent).statusCode())
                .isEqualTo(200);
        ServiceChecks.assertProblem(get("/api/v1/adapters/f3/versions", agent), 403);
        ServiceChecks.assertProblem(get("/api/v1/adapters/f3/latest/adapter.safetensors", agent), 403);
        ServiceChecks.assertProblem(get("/api/v1/adapters", agent), 403);
        assertThat(get("/api/v1/models/tiny", agent).statusCode()).isEqualTo(200);
    }

    @Test
    void anAgentNeitherManagesNorReadsTheAdminApi() {
        String agent = tokens.agent("client-a", "f1");
        ServiceChecks.assertProblem(get("/api/v1/federations/f1", agent), 403);
        ServiceChecks.assertProblem(get("/api/v1/audit", agent), 403);
        ServiceChecks.assertProblem(postJson("/api/v1/federations", agent, "{}"), 403);
        ServiceChecks.assertProblem(postJson("/api/v1/models", agent, "{}"), 403);
        ServiceChecks.assertProblem(send(request("/api/v1/adapters/a1", agent).DELETE()), 403);
    }

    @Test
    void anyOtherReaderSeesAnyFederationsAdaptersThroughTheAgentPath() {
        assertThat(get("/api/v1/agent/federations/f3/adapters/latest", tokens.viewer())
                        .statusCode())
                .isEqualTo(200);
        assertThat(get("/api/v1/agent/federations/f3/adapters/latest", tokens.service())
                        .statusCode())
                .isEqualTo(200);
    }

    @Test
    void theAggregatorServiceWritesToTheRegistry() {
        assertThat(postJson("/api/v1/adapters", tokens.service(), "{}").statusCode())
                .isEqualTo(200);
        ServiceChecks.assertProblem(postJson("/api/v1/federations", tokens.service(), "{}"), 403);
    }
}
