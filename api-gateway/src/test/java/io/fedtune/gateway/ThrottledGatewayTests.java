package io.fedtune.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.fedtune.gateway.ratelimit.RateLimitOverrides;
import io.fedtune.testsupport.ServiceChecks;
import io.fedtune.testsupport.TestTokens;
import java.net.ServerSocket;
import java.net.http.HttpResponse;
import java.time.OffsetDateTime;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.core.env.Environment;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * A gateway with a tight rate limit (1 per second, bursts of 3) in front of a live aggregator and a registry that is
 * down.
 */
@SpringBootTest(
        webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {
            "fedtune.gateway.rate-limit.requests-per-second=1",
            "fedtune.gateway.rate-limit.burst=3",
            "fedtune.gateway.rate-limit.overrides-refresh=1h"
        })
class ThrottledGatewayTests {

    static final TestUpstream aggregator = TestUpstream.start("aggregator");
    static final TestTokens tokens = TestTokens.shared();

    @Autowired
    Environment environment;

    @Autowired
    JdbcTemplate jdbc;

    @Autowired
    RateLimitOverrides overrides;

    @DynamicPropertySource
    static void upstreams(DynamicPropertyRegistry registry) throws Exception {
        TestTokens.register(registry);
        registry.add("fedtune.gateway.aggregator-uri", aggregator::url);
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        registry.add("fedtune.gateway.registry-uri", () -> "http://127.0.0.1:" + closedPort);
    }

    String url(String path) {
        return "http://localhost:" + environment.getProperty("local.server.port") + path;
    }

    @Test
    void aClientGetsItsBurstThenA429ProblemWithRetryAfter() {
        String token = tokens.agent("greedy-client", "f1");
        for (int i = 2; i >= 0; i--) {
            HttpResponse<String> allowed = ServiceChecks.get(url("/api/v1/agent/federations/f1/tasks"), token);
            assertThat(allowed.statusCode()).isEqualTo(200);
            assertThat(allowed.headers().firstValue("X-RateLimit-Remaining")).hasValue(Integer.toString(i));
        }
        HttpResponse<String> refused = ServiceChecks.get(url("/api/v1/agent/federations/f1/tasks"), token);
        ServiceChecks.assertProblem(refused, 429);
        assertThat(refused.body()).contains("urn:fedtune:problem:rate-limited");
        assertThat(refused.headers().firstValue("Retry-After")).hasValue("1");

        // another client is counted apart
        assertThat(ServiceChecks.get(url("/api/v1/agent/federations/f1/tasks"), tokens.agent("modest-client", "f1"))
                        .statusCode())
                .isEqualTo(200);
    }

    @Test
    void anOverrideInTheDatabaseGivesOneClientMore() {
        jdbc.update(
                "INSERT INTO rate_limit_override (client_id, requests_per_second, burst, updated_at)"
                        + " VALUES ('bulk-loader', 50, 100, ?)",
                OffsetDateTime.now());
        overrides.refresh();
        String token = tokens.agent("bulk-loader", "f1");
        for (int i = 0; i < 20; i++) {
            assertThat(ServiceChecks.get(url("/api/v1/agent/federations/f1/tasks"), token)
                            .statusCode())
                    .isEqualTo(200);
        }
    }

    @Test
    void probesAreNeverRateLimited() {
        for (int i = 0; i < 10; i++) {
            assertThat(ServiceChecks.get(url("/actuator/health/liveness")).statusCode())
                    .isEqualTo(200);
        }
    }

    @Test
    void aServiceThatIsDownIsA503Problem() {
        HttpResponse<String> response = ServiceChecks.get(url("/api/v1/models"), tokens.agent("reader", "f1"));
        ServiceChecks.assertProblem(response, 503);
        assertThat(response.body()).contains("urn:fedtune:problem:upstream-unavailable");
    }
}
