package io.fedtune.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.fedtune.testsupport.ServiceChecks;
import java.io.InputStream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class GatewayRoutingTests extends GatewayTestBase {

    @Test
    void everyPathPrefixReachesTheServiceThatOwnsIt() {
        String admin = tokens.admin();
        for (String path : new String[] {"/api/v1/federations", "/api/v1/federations/f1/rounds", "/api/v1/audit"}) {
            assertThat(get(path, admin).body()).as(path).contains("\"service\":\"aggregator\"");
        }
        assertThat(get("/api/v1/agent/federations/f1/tasks", tokens.agent("c1", "f1"))
                        .body())
                .contains("\"service\":\"aggregator\"");
        assertThat(get("/.well-known/openid-configuration", null).body()).contains("\"service\":\"aggregator\"");
        assertThat(post("/oauth2/token", null, "application/x-www-form-urlencoded", "grant_type=x".getBytes())
                        .body())
                .contains("\"service\":\"aggregator\"")
                .contains("\"path\":\"/oauth2/token\"");
        for (String path : new String[] {"/api/v1/models", "/api/v1/models/m1", "/api/v1/adapters/a1/versions"}) {
            HttpResponse<String> response = get(path, admin);
            assertThat(response.body())
                    .as(path)
                    .contains("\"service\":\"registry\"")
                    .contains("\"path\":\"" + path + "\"");
        }
    }

    @Test
    void theBearerTokenTravelsOnSoTheServiceChecksItAgain() {
        assertThat(get("/api/v1/models", tokens.viewer()).body()).contains("\"bearer\":true");
    }

    @Test
    void aCorrelationIdIsMadePassedDownstreamAndReturnedOnce() {
        HttpResponse<String> response = get("/api/v1/federations", tokens.admin());
        assertThat(response.headers().allValues("X-Correlation-Id")).hasSize(1);
        String id = response.headers().firstValue("X-Correlation-Id").orElseThrow();
        assertThat(id).matches("[0-9a-f-]{36}");
        assertThat(response.body()).contains("\"correlationId\":\"" + id + "\"");
    }

    @Test
    void theCallersCorrelationIdIsKeptWhenItIsSensibleAndReplacedWhenNot() {
        HttpResponse<String> kept = send(request("/api/v1/federations", tokens.admin())
                .header("X-Correlation-Id", "batch-42.step:7")
                .GET());
        assertThat(kept.headers().allValues("X-Correlation-Id")).containsExactly("batch-42.step:7");
        assertThat(kept.body()).contains("\"correlationId\":\"batch-42.step:7\"");

        HttpResponse<String> replaced = send(request("/api/v1/federations", tokens.admin())
                .header("X-Correlation-Id", "x\" onload=\"evil")
                .GET());
        assertThat(replaced.headers().firstValue("X-Correlation-Id"))
                .hasValueSatisfying(id -> assertThat(id).matches("[0-9a-f-]{36}"));
    }

    @Test
    void errorsOfTheGatewayCarryTheCorrelationIdToo() {
        HttpResponse<String> response = send(request("/api/v1/nothing-here", tokens.admin())
                .header("X-Correlation-Id", "trace-me")
                .GET());
        ServiceChecks.assertProblem(response, 404);
        assertThat(response.headers().firstValue("X-Correlation-Id")).hasValue("trace-me");
        assertThat(response.body()).contains("\"correlationId\":\"trace-me\"");
    }

    @Test
    void aPathNoServiceOwnsIsA404ProblemDetail() {
        HttpResponse<String> response = get("/api/v1/nothing-here", tokens.admin());
        ServiceChecks.assertProblem(response, 404);
        assertThat(response.body())
                .contains("\"type\":\"urn:fedtune:problem:not-found\"")
                .contains("\"instance\":\"/api/v1/nothing-here\"");
    }

    @Test
    void aServiceTooSlowToAnswerIsA504ProblemDetail() {
        HttpResponse<String> response = get("/api/v1/federations/f1/slow", tokens.admin());
        ServiceChecks.assertProblem(response, 504);
        assertThat(response.body()).contains("urn:fedtune:problem:upstream-timeout");
    }

    @Test
    void aServiceThatHangsUpIsA502ProblemDetail() {
        HttpResponse<String> response = get("/api/v1/federations/f1/hangup", tokens.admin());
        ServiceChecks.assertProblem(response, 502);
        assertThat(response.body()).contains("urn:fedtune:problem:upstream-failed");
    }

    @Test
    void aJsonBodyOverTheLimitIsRefusedWith413BeforeReachingTheService() {
        byte[] big = new byte[65 * 1024];
        Arrays.fill(big, (byte) ' ');
        HttpResponse<String> response = post("/api/v1/federations", tokens.admin(), "application/json", big);
        ServiceChecks.assertProblem(response, 413);
        assertThat(response.body()).contains("urn:fedtune:problem:body-too-large");
    }

    @Test
    void aChunkedJsonBodyOverTheLimitIsRefusedWith413AsItStreams() {
        HttpRequest.BodyPublisher chunked =
                HttpRequest.BodyPublishers.ofInputStream(() -> new TestUpstream.PatternStream(200 * 1024));
        HttpResponse<String> response = send(request("/api/v1/federations", tokens.admin())
                .header("Content-Type", "application/json")
                .POST(chunked));
        ServiceChecks.assertProblem(response, 413);
    }

    @Test
    void anUploadMayBeFarLargerThanJsonAndArrivesIntact() throws Exception {
        long size = 3 * 1024 * 1024;
        java.security.MessageDigest sha = TestUpstream.sha256();
        try (InputStream in = new TestUpstream.PatternStream(size)) {
            sha.update(in.readAllBytes());
        }
        HttpResponse<String> response = send(request("/api/v1/adapters/a1/blob", tokens.admin())
                .header("Content-Type", "application/octet-stream")
                .PUT(HttpRequest.BodyPublishers.fromPublisher(
                        HttpRequest.BodyPublishers.ofInputStream(() -> new TestUpstream.PatternStream(size)), size)));
        assertThat(response.statusCode()).isEqualTo(201);
        assertThat(response.body())
                .contains("\"bytes\":" + size)
                .contains(java.util.HexFormat.of().formatHex(sha.digest()));
    }

    @Test
    void anUploadOverTheUploadLimitIsRefusedWith413() {
        long size = 9 * 1024 * 1024;
        HttpResponse<String> response = send(request("/api/v1/adapters/a1/blob", tokens.admin())
                .header("Content-Type", "application/octet-stream")
                .PUT(HttpRequest.BodyPublishers.fromPublisher(
                        HttpRequest.BodyPublishers.ofInputStream(() -> new TestUpstream.PatternStream(size)), size)));
        ServiceChecks.assertProblem(response, 413);
    }

    @Test
    void oneSwaggerUiListsEveryServiceWhoseDocumentsPointAtTheGateway() {
        HttpResponse<String> config = get("/v3/api-docs/swagger-config", null);
        assertThat(config.statusCode()).isEqualTo(200);
        assertThat(config.body()).contains("/openapi/aggregator").contains("/openapi/registry");

        HttpResponse<String> aggregatorDocs = get("/openapi/aggregator", null);
        assertThat(aggregatorDocs.statusCode()).isEqualTo(200);
        assertThat(aggregatorDocs.body())
                .contains("\"title\":\"aggregator\"")
                .contains("\"servers\":[{")
                .contains("\"url\":\"/\"")
                .doesNotContain("aggregator.internal");
        assertThat(get("/openapi/registry", null).body()).contains("\"title\":\"registry\"");

        HttpResponse<String> ui = get("/swagger-ui/index.html", null);
        assertThat(ui.statusCode()).isEqualTo(200);
        assertThat(ui.body()).contains("swagger-ui");
    }
}
