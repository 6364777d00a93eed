package io.fedtune.aggregator.round;

import io.fedtune.aggregator.registry.InMemoryModelRegistryClient;
import io.fedtune.aggregator.registry.ModelRegistryClient;
import java.time.Instant;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Primary;

/**
 * What most service tests of a round need: a clock the test moves by hand (from 2030, so no real deadline ever
 * passes on its own) and the in-memory registry in place of the HTTP one.
 */
@TestConfiguration
class ManualClockAndInMemoryRegistry {

    @Bean
    @Primary
    MutableClock testClock() {
        return new MutableClock(Instant.parse("2030-01-01T00:00:00Z"));
    }

    @Bean
    ModelRegistryClient registry() {
        return new InMemoryModelRegistryClient();
    }
}
