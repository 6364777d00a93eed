package io.fedtune.aggregator.round;

import io.fedtune.aggregator.system.AggregatorProperties;
import io.fedtune.blobstore.BlobEntry;
import io.fedtune.blobstore.BlobStore;
import java.io.IOException;
import java.sql.Timestamp;
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
 * Keeps the update blob store from growing for ever. Deletes update blobs that no accepted update references and that
 * are older than {@code orphanAge}: the leftovers of uploads whose process died between storing the bytes and
 * committing the row (rejected uploads are deleted at once). And deletes the bytes of accepted updates
 * {@code updateRetention} after their round ended: the aggregate is in the adapter versions by then, and the update's
 * row (example count, norm, metrics, SHA-256) stays as the record of what was received.
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
            purgeExpiredUpdates();
        }
    }

    /**
     * Deletes the blobs of accepted updates whose round ended more than {@code updateRetention} ago and marks their rows
     * purged; returns how many. The blob goes first: a crash in between leaves a row whose blob is already gone, which
     * the next pass marks (deleting a missing blob is a no-op), never a blob without a row.
     */
    public int purgeExpiredUpdates() {
        if (properties.updateRetention().isZero()) {
            return 0;
        }
        Instant cutoff = clock.instant().minus(properties.updateRetention());
        List<UpdateBlob> expired = jdbc.sql(
                        "SELECT u.id, u.blob_key FROM client_update u JOIN round r ON r.id = u.round_id"
                                + " WHERE u.blob_purged_at IS NULL AND r.status IN ('COMPLETED', 'FAILED') AND r.closed_at < ?"
                                + " ORDER BY u.id LIMIT 10000")
                .param(Timestamp.from(cutoff))
                .query((rs, row) -> new UpdateBlob(rs.getLong(1), rs.getString(2)))
                .list();
        int purged = 0;
        for (UpdateBlob update : expired) {
            try {
                blobs.delete(update.blobKey());
            } catch (IOException e) {
                log.warn("Could not delete the expired update blob {}: {}", update.blobKey(), e.getMessage());
                continue;
            }
            purged += jdbc.sql("UPDATE client_update SET blob_purged_at = ? WHERE id = ? AND blob_purged_at IS NULL")
                    .params(Timestamp.from(clock.instant()), update.id())
                    .update();
        }
        if (purged > 0) {
            log.info("Deleted the bytes of {} updates whose rounds ended before {}", purged, cutoff);
        }
        return purged;
    }

    private record UpdateBlob(long id, String blobKey) {}

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
