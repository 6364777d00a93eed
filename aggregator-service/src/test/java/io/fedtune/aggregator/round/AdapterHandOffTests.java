package io.fedtune.aggregator.round;

import static org.assertj.core.api.Assertions.assertThat;

import io.fedtune.aggregator.registry.InMemoryModelRegistryClient;
import io.fedtune.aggregator.registry.ModelRegistryClient;
import io.fedtune.protocol.api.LoraMode;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Primary;
import org.springframework.core.env.Environment;
import org.springframework.jdbc.core.simple.JdbcClient;

/** Registration in the model registry retries with a back-off per version, and one refusal holds up nobody else. */
@SpringBootTest(
        webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {
            "fedtune.aggregator.scheduling=false",
            "fedtune.security.bootstrap-admin.secret=" + Api.ADMIN_SECRET,
            "fedtune.aggregator.blobs.path=${java.io.tmpdir}/fedtune-hand-off-tests/${random.uuid}"
        })
class AdapterHandOffTests {

    /** Refuses the federation named "refused" while {@link #refusing} is set. */
    static final class PickyRegistry implements ModelRegistryClient {
        final InMemoryModelRegistryClient accepted = new InMemoryModelRegistryClient();
        final AtomicBoolean refusing = new AtomicBoolean(true);
        volatile Runnable duringUpload = () -> {};

        @Override
        public String register(AdapterRegistration registration, ContentSource content) throws IOException {
            duringUpload.run();
            if (refusing.get() && registration.metadata().federationName().equals("refused")) {
                throw new IOException("registry answered 400 invalid-adapter");
            }
            return accepted.register(registration, content);
        }
    }

    @TestConfiguration
    static class Fixtures {
        @Bean
        @Primary
        MutableClock testClock() {
            return new MutableClock(Instant.parse("2030-01-01T00:00:00Z"));
        }

        @Bean
        PickyRegistry registry() {
            return new PickyRegistry();
        }
    }

    @Autowired
    Environment environment;

    @Autowired
    AdapterHandOff handOff;

    @Autowired
    PickyRegistry registry;

    @Autowired
    MutableClock clock;

    @Autowired
    JdbcClient jdbc;

    private Map<String, Object> row(UUID federation) {
        return jdbc.sql("SELECT registry_id, registry_attempts, registry_error FROM adapter_version"
                        + " WHERE federation_id = ? AND version = 0")
                .param(federation)
                .query()
                .singleRow();
    }

    @Test
    void aRefusedVersionBacksOffWithoutHoldingUpOtherFederations() {
        Api api = new Api("http://localhost:" + environment.getProperty("local.server.port"));
        UUID refused =
                api.createAndStart(Api.config("refused", 1, 1, 1, Duration.ofMinutes(5), LoraMode.FEDIT, null, null));
        UUID healthy =
                api.createAndStart(Api.config("healthy", 1, 1, 1, Duration.ofMinutes(5), LoraMode.FEDIT, null, null));

        assertThat(handOff.handOff()).isEqualTo(1);
        assertThat(row(healthy).get("registry_id")).isNotNull();
        assertThat(row(refused))
                .containsEntry("registry_id", null)
                .containsEntry("registry_attempts", 1)
                .containsEntry("registry_error", "registry answered 400 invalid-adapter");

        // not due yet: no second attempt
        assertThat(handOff.handOff()).isZero();
        assertThat(row(refused)).containsEntry("registry_attempts", 1);

        clock.advance(AdapterHandOff.backoff(1).plusSeconds(1));
        assertThat(handOff.handOff()).isZero();
        assertThat(row(refused)).containsEntry("registry_attempts", 2);
        assertThat(AdapterHandOff.backoff(2)).isEqualTo(Duration.ofSeconds(10));
        assertThat(AdapterHandOff.backoff(40)).isEqualTo(Duration.ofMinutes(10));

        registry.refusing.set(false);
        clock.advance(Duration.ofSeconds(11));
        assertThat(handOff.handOff()).isEqualTo(1);
        assertThat(row(refused).get("registry_id")).isNotNull();
        assertThat(registry.accepted.registrations())
                .extracting(r -> r.metadata().federationName())
                .contains("healthy", "refused")
                .doesNotHaveDuplicates();
    }

    @Test
    void theUploadToTheRegistryHoldsNoLockOnTheVersionsRow() {
        Api api = new Api("http://localhost:" + environment.getProperty("local.server.port"));
        UUID federation =
                api.createAndStart(Api.config("unlocked", 1, 1, 1, Duration.ofMinutes(5), LoraMode.FEDIT, null, null));
        java.util.List<Throwable> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
        registry.duringUpload = () -> {
            try {
                // another connection, as another replica would use: NOWAIT fails at once on a locked row
                java.util.concurrent.CompletableFuture.runAsync(() -> jdbc.sql(
                                        "SELECT 1 FROM adapter_version WHERE federation_id = ? FOR UPDATE NOWAIT")
                                .param(federation)
                                .query()
                                .listOfRows())
                        .join();
            } catch (RuntimeException e) {
                seen.add(e);
            }
        };
        try {
            while (row(federation).get("registry_id") == null && handOff.handOff() > 0) {
                // registers the other tests' leftovers first, oldest first
            }
        } finally {
            registry.duringUpload = () -> {};
        }
        assertThat(row(federation).get("registry_id")).isNotNull();
        assertThat(seen)
                .as("the row was locked while the adapter streamed to the registry")
                .isEmpty();
    }
}
