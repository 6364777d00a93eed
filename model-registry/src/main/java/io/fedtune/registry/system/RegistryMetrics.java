package io.fedtune.registry.system;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;

/**
 * The registry's Micrometer meters: bytes served and stored (by kind: {@code adapter}, {@code export},
 * {@code model_archive}), versions registered and pruned, and gauges of what is stored now, read from the database
 * when scraped.
 */
@Component
public class RegistryMetrics {

    private final MeterRegistry registry;
    private final Map<String, Counter> counters = new ConcurrentHashMap<>();

    RegistryMetrics(MeterRegistry registry, JdbcClient jdbc) {
        this.registry = registry;
        Gauge.builder("fedtune.registry.adapter.versions", jdbc, db -> count(db, "blob_key IS NOT NULL"))
                .description("Adapter versions whose content is stored")
                .tag("state", "available")
                .register(registry);
        Gauge.builder("fedtune.registry.adapter.versions", jdbc, db -> count(db, "blob_key IS NULL"))
                .description("Adapter versions whose content retention removed")
                .tag("state", "pruned")
                .register(registry);
        Gauge.builder("fedtune.registry.stored.bytes", jdbc, RegistryMetrics::storedBytes)
                .description("Bytes of adapters and model archives held in the blob store")
                .baseUnit("bytes")
                .register(registry);
    }

    /** Bytes sent to clients. */
    public void served(String kind, long bytes) {
        counter("fedtune.registry.bytes.served", kind, "Bytes sent to clients").increment(bytes);
    }

    /** Bytes accepted into the blob store. */
    public void stored(String kind, long bytes) {
        counter("fedtune.registry.bytes.stored", kind, "Bytes accepted into the blob store")
                .increment(bytes);
    }

    /** An adapter version was registered. */
    public void versionRegistered() {
        counter("fedtune.registry.versions.registered", "adapter", "Adapter versions registered")
                .increment();
    }

    /** Retention removed the content of a version. */
    public void versionPruned() {
        counter("fedtune.registry.versions.pruned", "adapter", "Adapter versions whose content was removed")
                .increment();
    }

    private Counter counter(String name, String kind, String description) {
        return counters.computeIfAbsent(
                name + "|" + kind,
                key -> Counter.builder(name)
                        .description(description)
                        .tag("kind", kind)
                        .register(registry));
    }

    private static double count(JdbcClient jdbc, String condition) {
        try {
            return jdbc.sql("SELECT count(*) FROM adapter_version WHERE " + condition)
                    .query(Long.class)
                    .single();
        } catch (RuntimeException e) {
            return Double.NaN;
        }
    }

    private static double storedBytes(JdbcClient jdbc) {
        try {
            return jdbc.sql(
                            "SELECT (SELECT coalesce(sum(size_bytes), 0) FROM adapter_version WHERE blob_key IS NOT NULL)"
                                    + " + (SELECT coalesce(sum(archive_size_bytes), 0) FROM base_model)")
                    .query(Long.class)
                    .single();
        } catch (RuntimeException e) {
            return Double.NaN;
        }
    }
}
