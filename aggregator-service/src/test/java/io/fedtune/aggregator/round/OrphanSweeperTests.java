package io.fedtune.aggregator.round;

import static io.fedtune.aggregator.round.Api.read;
import static org.assertj.core.api.Assertions.assertThat;

import io.fedtune.aggregator.registry.InMemoryModelRegistryClient;
import io.fedtune.aggregator.registry.ModelRegistryClient;
import io.fedtune.aggregator.system.AggregatorProperties;
import io.fedtune.blobstore.BlobStore;
import io.fedtune.protocol.api.FederationConfig;
import io.fedtune.protocol.api.LoraMode;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.core.env.Environment;
import org.springframework.jdbc.core.simple.JdbcClient;
import tools.jackson.databind.JsonNode;

/**
 * The orphan sweep against the real blob directory and database: it deletes the bytes an upload left behind when its
 * process died before the row was committed, and keeps both the bytes of accepted updates and those of an upload still
 * in flight. The service's own clock is used, because blob ages are the blob store's modification times.
 */
@SpringBootTest(
        webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {
            "fedtune.aggregator.scheduling=false",
            "fedtune.security.bootstrap-admin.secret=" + Api.ADMIN_SECRET,
            "fedtune.aggregator.blobs.path=${java.io.tmpdir}/fedtune-orphan-sweeper-tests/${random.uuid}",
            "fedtune.aggregator.orphan-age=PT1H"
        })
class OrphanSweeperTests {

    @TestConfiguration
    static class Fixtures {
        @Bean
        ModelRegistryClient registry() {
            return new InMemoryModelRegistryClient();
        }
    }

    @Autowired
    Environment environment;

    @Autowired
    RoundEngine engine;

    @Autowired
    OrphanSweeper sweeper;

    @Autowired
    BlobStore blobs;

    @Autowired
    AggregatorProperties properties;

    @Autowired
    JdbcClient jdbc;

    @Test
    void aBlobNoUpdateReferencesIsDeletedOnceOlderThanTheOrphanAgeWhileAcceptedAndInFlightOnesStay()
            throws IOException {
        Api api = new Api("http://localhost:" + environment.getProperty("local.server.port"));
        FederationConfig config = Api.config("orphans", 1, 2, 2, Duration.ofMinutes(30), LoraMode.FEDIT, null, null);
        UUID id = api.createAndStart(config);
        String enrollment = api.enrollmentToken(id, 2);
        List<Api.Agent> agents = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            Api.Agent agent = api.enroll(enrollment, "orphans-" + i);
            agent.heartbeat();
            agents.add(agent);
        }
        engine.tick();
        read(agents.get(0).upload(id, 1, Api.update(config, LoraMode.FEDIT, 0.5f), 3), 201);
        String accepted = jdbc.sql("SELECT blob_key FROM client_update")
                .query(String.class)
                .single();

        String prefix = "updates/" + id + "/r1-a1/" + agents.get(1).id() + "-";
        byte[] body = Api.update(config, LoraMode.FEDIT, 0.25f);
        // the bytes of an upload whose process died two hours ago, before committing its row
        String orphan = prefix + UUID.randomUUID() + ".safetensors";
        blobs.put(orphan, new ByteArrayInputStream(body));
        // the bytes of an upload still streaming or being checked: no row yet, but young
        String inFlight = prefix + UUID.randomUUID() + ".safetensors";
        blobs.put(inFlight, new ByteArrayInputStream(body));
        Instant twoHoursAgo = Instant.now().minus(Duration.ofHours(2)).truncatedTo(ChronoUnit.SECONDS);
        age(orphan, twoHoursAgo);
        age(accepted, twoHoursAgo);

        assertThat(sweeper.sweep()).isEqualTo(1);

        assertThat(blobs.exists(orphan)).as("orphan").isFalse();
        assertThat(blobs.exists(accepted)).as("accepted update").isTrue();
        assertThat(blobs.exists(inFlight)).as("upload in flight").isTrue();
        assertThat(sweeper.sweep()).as("a second pass finds nothing more").isZero();

        // the accepted update still takes part in its round
        read(agents.get(1).upload(id, 1, body, 3), 201);
        engine.tick();
        JsonNode round = read(api.get("/api/v1/federations/" + id + "/rounds/1", api.admin()), 200);
        assertThat(round.get("round").get("status").asString()).isEqualTo("COMPLETED");
        assertThat(round.get("aggregate").get("updates").asInt()).isEqualTo(2);
    }

    /** Sets a blob's modification time, which the filesystem store reports as its age. */
    private void age(String key, Instant modified) throws IOException {
        Files.setLastModifiedTime(properties.blobs().path().resolve(key), FileTime.from(modified));
        assertThat(blobs.list(key).get(0).lastModified()).isEqualTo(modified);
    }
}
