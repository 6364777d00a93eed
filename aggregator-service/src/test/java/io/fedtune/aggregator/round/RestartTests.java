package io.fedtune.aggregator.round;

import static io.fedtune.aggregator.round.Api.read;
import static org.assertj.core.api.Assertions.assertThat;

import io.fedtune.protocol.api.FederationConfig;
import io.fedtune.protocol.api.LoraMode;
import io.fedtune.testsupport.TestDatabase;
import io.fedtune.testsupport.TestDatabases;
import java.nio.file.Path;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DriverManagerDataSource;
import tools.jackson.databind.JsonNode;

/** A service stopped at the worst moments comes back and finishes the round with every update it had accepted. */
class RestartTests {

    private static final String[] MANUAL = {"--fedtune.aggregator.scheduling=false"};

    @TempDir
    Path home;

    @Test
    void aRestartedServiceFinishesTheRoundWithAllTheUpdatesAcceptedBeforeTheStop() {
        try (TestDatabase database = TestDatabases.create()) {
            Path blobs = home.resolve("blobs");
            ConfigurableApplicationContext first = Replicas.start(database, blobs, MANUAL);
            FederationConfig config = Api.config("restart", 1, 3, 4, Duration.ofMinutes(30), LoraMode.FFA, null, null);
            Api api = new Api(Replicas.url(first));
            UUID id = api.createAndStart(config);
            String enrollment = api.enrollmentToken(id, 4);
            List<Api.Agent> agents = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                Api.Agent agent = api.enroll(enrollment, "site-" + i);
                agent.heartbeat();
                agents.add(agent);
            }
            first.getBean(RoundEngine.class).tick();
            for (int i = 0; i < 3; i++) {
                read(agents.get(i).upload(id, 1, Api.update(config, LoraMode.FFA, i + 1), 1 + i), 201);
            }
            first.close();

            ConfigurableApplicationContext second = Replicas.start(database, blobs, MANUAL);
            try {
                Api again = new Api(Replicas.url(second));
                Api.Agent last = new Api.Agent(
                        again,
                        agents.get(3).id(),
                        agents.get(3).secret(),
                        agents.get(3).token());
                read(
                        again.post(
                                "/api/v1/agent/federations/" + id + "/rounds/1/failure",
                                last.token(),
                                Map.of("reason", "shutdown")),
                        204);
                second.getBean(RoundEngine.class).tick();
                JsonNode round = read(again.get("/api/v1/federations/" + id + "/rounds/1", again.admin()), 200);
                assertThat(round.get("round").get("status").asString()).isEqualTo("COMPLETED");
                assertThat(round.get("aggregate").get("updates").asInt()).isEqualTo(3);
                assertThat(round.get("aggregate").get("examples").asLong()).isEqualTo(6);
            } finally {
                second.close();
            }
        }
    }

    @Test
    void anAggregationClaimedByAReplicaThatDiedIsTakenOverWhenItsLeaseExpires() {
        try (TestDatabase database = TestDatabases.create()) {
            Path blobs = home.resolve("blobs");
            ConfigurableApplicationContext first = Replicas.start(
                    database,
                    blobs,
                    "--fedtune.aggregator.scheduling=false",
                    "--fedtune.aggregator.aggregation-lease=PT1M");
            JdbcTemplate jdbc = new JdbcTemplate(
                    new DriverManagerDataSource(database.jdbcUrl(), database.username(), database.password()));
            try {
                FederationConfig config =
                        Api.config("takeover", 1, 2, 2, Duration.ofMinutes(30), LoraMode.FEDIT, null, null);
                Api api = new Api(Replicas.url(first));
                UUID id = api.createAndStart(config);
                String enrollment = api.enrollmentToken(id, 2);
                List<Api.Agent> agents = new ArrayList<>();
                for (int i = 0; i < 2; i++) {
                    Api.Agent agent = api.enroll(enrollment, "node-" + i);
                    agent.heartbeat();
                    agents.add(agent);
                }
                RoundEngine engine = first.getBean(RoundEngine.class);
                engine.tick();
                // a replica that moved the round to AGGREGATING, claimed it, and died before committing
                read(agents.get(0).upload(id, 1, Api.randomUpdate(config, 1), 3), 201);
                read(agents.get(1).upload(id, 1, Api.randomUpdate(config, 2), 4), 201);
                jdbc.update(
                        "UPDATE aggregator.round SET status = 'AGGREGATING', claimed_by = 'dead-replica',"
                                + " claimed_at = ?, claims = 1",
                        Timestamp.from(Instant.now()));
                engine.tick();
                assertThat(jdbc.queryForObject("SELECT status FROM aggregator.round", String.class))
                        .isEqualTo("AGGREGATING");
                jdbc.update(
                        "UPDATE aggregator.round SET claimed_at = ?",
                        Timestamp.from(Instant.now().minus(Duration.ofMinutes(2))));
                engine.tick();
                assertThat(jdbc.queryForMap(
                                "SELECT status, claims, metrics->>'updates' AS updates FROM aggregator.round"))
                        .containsEntry("status", "COMPLETED")
                        .containsEntry("claims", 2)
                        .containsEntry("updates", "2");
            } finally {
                first.close();
            }
        }
    }
}
