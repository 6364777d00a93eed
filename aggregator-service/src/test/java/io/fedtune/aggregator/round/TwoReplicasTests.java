package io.fedtune.aggregator.round;

import static io.fedtune.aggregator.round.Api.read;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fedtune.protocol.api.FederationConfig;
import io.fedtune.protocol.api.LoraMode;
import io.fedtune.testsupport.TestDatabase;
import io.fedtune.testsupport.TestDatabases;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DriverManagerDataSource;
import tools.jackson.databind.JsonNode;

/**
 * Two aggregator replicas on one database, 20 agents talking to both at random, several rounds: every round is
 * aggregated exactly once and holds every accepted update exactly once.
 */
class TwoReplicasTests {

    private static final int AGENTS = 20;
    private static final int ROUNDS = 3;

    @TempDir
    Path home;

    @Test
    void twoReplicasAggregateEachRoundOnceWithNoUpdateLostOrCountedTwice() throws Exception {
        try (TestDatabase database = TestDatabases.create()) {
            String[] fast = {"--fedtune.aggregator.tick-interval=PT0.1S", "--fedtune.aggregator.liveness-window=PT10M"};
            ConfigurableApplicationContext a = Replicas.start(database, home.resolve("blobs"), fast);
            ConfigurableApplicationContext b = Replicas.start(database, home.resolve("blobs"), fast);
            ExecutorService pool = Executors.newFixedThreadPool(AGENTS);
            try {
                Api apiA = new Api(Replicas.url(a));
                Api apiB = new Api(Replicas.url(b));
                FederationConfig config = Api.config(
                        "cluster", ROUNDS, AGENTS, AGENTS, Duration.ofMinutes(10), LoraMode.FEDIT, null, null);
                String enrollment = null;
                UUID id = UUID.fromString(read(apiA.post("/api/v1/federations", apiA.admin(), config), 201)
                        .get("id")
                        .asString());
                enrollment = apiA.enrollmentToken(id, AGENTS);
                List<Api.Agent> agents = new ArrayList<>();
                for (int i = 0; i < AGENTS; i++) {
                    Api.Agent agent = (i % 2 == 0 ? apiA : apiB).enroll(enrollment, "agent-" + i);
                    agent.heartbeat();
                    agents.add(agent);
                }
                read(apiB.post("/api/v1/federations/" + id + "/start", apiB.admin(), ""), 200);

                Map<String, Integer> accepted = new ConcurrentHashMap<>();
                List<Future<?>> running = new ArrayList<>();
                for (int i = 0; i < AGENTS; i++) {
                    int index = i;
                    running.add(pool.submit(() -> {
                        Api.Agent agent = agents.get(index);
                        for (int round = 1; round <= ROUNDS; round++) {
                            Api.Agent via = new Api.Agent(
                                    round % 2 == 0 ? apiA : apiB, agent.id(), agent.secret(), agent.token());
                            JsonNode task = null;
                            while (task == null || task.get("round").asInt() != round) {
                                task = via.task(5);
                            }
                            via.download(task.get("globalAdapter")
                                    .get("downloadPath")
                                    .asString());
                            Api.Agent uploader = new Api.Agent(
                                    index % 2 == 0 ? apiA : apiB, agent.id(), agent.secret(), agent.token());
                            byte[] update = Api.randomUpdate(config, round * 1000L + index);
                            read(uploader.upload(id, round, update, 10 + index), 201);
                            // a retry after a lost response is a no-op
                            read(uploader.upload(id, round, update, 10 + index), 200);
                            accepted.merge("r" + round, 1, Integer::sum);
                        }
                        return null;
                    }));
                }
                for (Future<?> future : running) {
                    future.get();
                }
                await().atMost(Duration.ofSeconds(60))
                        .until(() -> read(apiA.get("/api/v1/federations/" + id, apiA.admin()), 200)
                                .get("status")
                                .asString()
                                .equals("COMPLETED"));

                JdbcTemplate jdbc = new JdbcTemplate(
                        new DriverManagerDataSource(database.jdbcUrl(), database.username(), database.password()));
                assertThat(jdbc.queryForList("SELECT number, status, claims, submitted, metrics->>'updates' AS updates"
                                + " FROM aggregator.round ORDER BY number"))
                        .hasSize(ROUNDS)
                        .allSatisfy(row -> {
                            assertThat(row.get("status")).isEqualTo("COMPLETED");
                            assertThat(row.get("claims")).isEqualTo(1);
                            assertThat(row.get("submitted")).isEqualTo(AGENTS);
                            assertThat(row.get("updates")).isEqualTo(Integer.toString(AGENTS));
                        });
                assertThat(jdbc.queryForObject("SELECT count(*) FROM aggregator.client_update", Integer.class))
                        .isEqualTo(AGENTS * ROUNDS);
                assertThat(jdbc.queryForObject(
                                "SELECT count(DISTINCT (round_id, client_id)) FROM aggregator.client_update",
                                Integer.class))
                        .isEqualTo(AGENTS * ROUNDS);
                assertThat(jdbc.queryForObject(
                                "SELECT count(*) FROM aggregator.adapter_version WHERE federation_id = ?",
                                Integer.class,
                                id))
                        .isEqualTo(ROUNDS + 1);
                assertThat(accepted)
                        .containsOnly(Map.entry("r1", AGENTS), Map.entry("r2", AGENTS), Map.entry("r3", AGENTS));
                assertThat(jdbc.queryForObject("SELECT count(DISTINCT kid) FROM aggregator.signing_key", Integer.class))
                        .isEqualTo(1);
            } finally {
                pool.shutdownNow();
                b.close();
                a.close();
            }
        }
    }
}
