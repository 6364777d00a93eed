package io.fedtune.aggregator.round;

import io.fedtune.aggregator.system.AggregatorProperties;
import io.fedtune.blobstore.BlobEntry;
import io.fedtune.blobstore.BlobStore;
import java.io.IOException;
import java.time.Clock;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Component;

/**
 * Deletes update blobs that no accepted update references and that are older than {@code orphanAge}: the leftovers
 * of uploads whose process died between storing the bytes and committing the row (rejected uploads are deleted at
 * once).
 */
@Component
public class OrphanSweeper {

    private static final Logger log = LoggerFactory.getLogger(OrphanSweeper.class);

    private final BlobStore blobs;
    private final JdbcClient jdbc;
    private final AggregatorProperties properties;
    private final Clock clock;

    OrphanSweeper(BlobStore blobs, JdbcClient jdbc, AggregatorProperties properties, Clock clock) {
        this.blobs = blobs;
        this.jdbc = jdbc;
        this.properties = properties;
        this.clock = clock;
    }

    @Scheduled(fixedDelayString = "${fedtune.aggregator.sweep-interval:PT10M}", initialDelayString = "PT1M")
    void scheduled() {
        if (properties.schedulingEnabled()) {
            sweep();
        }
    }

    /** Deletes orphans; returns how many. */
    public int sweep() {
        Instant cutoff = clock.instant().minus(properties.orphanAge());
        try {
            List<BlobEntry> entries = blobs.list("updates/");
            Set<String> referenced = new HashSet<>(jdbc.sql("SELECT blob_key FROM client_update")
                    .query(String.class)
                    .list());
            int deleted = 0;
            for (BlobEntry entry : entries) {
                if (entry.lastModified().isBefore(cutoff) && !referenced.contains(entry.key())) {
                    blobs.delete(entry.key());
                    deleted++;
                }
            }
            if (deleted > 0) {
                log.info("Deleted {} orphaned update blobs", deleted);
            }
            return deleted;
        } catch (IOException e) {
            log.warn("Orphan sweep failed: {}", e.getMessage());
            return 0;
        }
    }
}
