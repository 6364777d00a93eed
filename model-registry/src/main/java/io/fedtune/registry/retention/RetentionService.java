package io.fedtune.registry.retention;

import io.fedtune.blobstore.BlobEntry;
import io.fedtune.blobstore.BlobStore;
import io.fedtune.protocol.api.registry.RetentionReport;
import io.fedtune.registry.audit.AuditLog;
import io.fedtune.registry.blob.BlobKeyspace;
import io.fedtune.registry.system.RegistryMetrics;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Service;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Keeps the blob store to what matters: the newest {@code keepLast} versions of each federation and every tagged
 * version keep their content; older ones are pruned. Pruning first clears the row's blob key (in a transaction that
 * locks the row, so a tag cannot land on it at the same moment), then deletes the blob: a crash in between leaves
 * an orphan blob, never a row pointing at nothing. Orphans (blobs no row references, older than the grace period)
 * are deleted in the same pass. Rows stay, so lineage is never broken.
 *
 * <p>One pass runs at a time across all replicas, under a PostgreSQL advisory lock.
 */
@Service
public class RetentionService {

    /** The actor of background passes in the audit log. */
    public static final String SYSTEM = "system";

    private static final Logger log = LoggerFactory.getLogger(RetentionService.class);
    private static final long LOCK_KEY = 0x66656474756e65L; // "fedtune" in ASCII

    private final JdbcClient jdbc;
    private final DataSource dataSource;
    private final BlobStore blobs;
    private final RetentionProperties properties;
    private final AuditLog audit;
    private final RegistryMetrics metrics;
    private final TransactionTemplate transactions;
    private final Clock clock;

    RetentionService(
            JdbcClient jdbc,
            DataSource dataSource,
            BlobStore blobs,
            RetentionProperties properties,
            AuditLog audit,
            RegistryMetrics metrics,
            TransactionTemplate transactions,
            Clock clock) {
        this.jdbc = jdbc;
        this.dataSource = dataSource;
        this.blobs = blobs;
        this.properties = properties;
        this.audit = audit;
        this.metrics = metrics;
        this.transactions = transactions;
        this.clock = clock;
    }

    /** One pass; an empty report when another replica is running one. */
    public RetentionReport run(String actor) {
        try (Connection lock = dataSource.getConnection()) {
            if (!advisory(lock, "SELECT pg_try_advisory_lock(?)")) {
                log.info("Another replica is running retention; skipping this pass");
                return new RetentionReport(0, 0, 0);
            }
            try {
                return pass(actor);
            } finally {
                advisory(lock, "SELECT pg_advisory_unlock(?)");
            }
        } catch (SQLException e) {
            throw new IllegalStateException("Retention could not take its lock: " + e.getMessage(), e);
        }
    }

    private RetentionReport pass(String actor) {
        int pruned = 0;
        long freed = 0;
        for (Candidate candidate : candidates()) {
            String key = prune(candidate, actor);
            if (key != null) {
                pruned++;
                freed += candidate.sizeBytes();
                metrics.versionPruned();
                delete(key);
            }
        }
        int orphans = 0;
        try {
            for (BlobEntry orphan : orphans()) {
                if (delete(orphan.key())) {
                    orphans++;
                    freed += orphan.size();
                }
            }
        } catch (IOException e) {
            log.warn("Retention could not list blobs for orphans: {}", e.getMessage());
        }
        if (pruned > 0 || orphans > 0) {
            log.info("Retention pruned {} versions and {} orphan blobs, freeing {} bytes", pruned, orphans, freed);
        }
        return new RetentionReport(pruned, orphans, freed);
    }

    private record Candidate(UUID federationId, int version, long sizeBytes) {}

    /** Versions with content beyond the newest {@code keepLast} of their federation. */
    private List<Candidate> candidates() {
        return jdbc.sql("SELECT federation_id, version, size_bytes FROM ("
                        + " SELECT federation_id, version, size_bytes, blob_key,"
                        + " row_number() OVER (PARTITION BY federation_id ORDER BY version DESC) AS newest"
                        + " FROM adapter_version) ranked"
                        + " WHERE newest > ? AND blob_key IS NOT NULL ORDER BY federation_id, version")
                .param(properties.keepLast())
                .query((rs, row) -> new Candidate(
                        rs.getObject("federation_id", UUID.class), rs.getInt("version"), rs.getLong("size_bytes")))
                .list();
    }

    /** Clears a version's blob key unless it is tagged (or already pruned); returns the key to delete. */
    private String prune(Candidate candidate, String actor) {
        return transactions.execute(status -> {
            List<String> keys = jdbc.sql("SELECT blob_key FROM adapter_version"
                            + " WHERE federation_id = ? AND version = ? AND blob_key IS NOT NULL FOR UPDATE")
                    .params(candidate.federationId(), candidate.version())
                    .query(String.class)
                    .list();
            if (keys.isEmpty()) {
                return null;
            }
            if (properties.keepTagged()) {
                boolean tagged = jdbc.sql("SELECT EXISTS (SELECT 1 FROM adapter_tag"
                                + " WHERE federation_id = ? AND version = ?)")
                        .params(candidate.federationId(), candidate.version())
                        .query(Boolean.class)
                        .single();
                if (tagged) {
                    return null;
                }
            }
            jdbc.sql(
                            "UPDATE adapter_version SET blob_key = NULL, pruned_at = ? WHERE federation_id = ? AND version = ?")
                    .params(Timestamp.from(clock.instant()), candidate.federationId(), candidate.version())
                    .update();
            audit.record(
                    actor,
                    "retention.prune",
                    "federation/" + candidate.federationId() + "/versions/" + candidate.version(),
                    AuditLog.OK,
                    Map.of("sizeBytes", candidate.sizeBytes(), "keepLast", properties.keepLast()));
            return keys.get(0);
        });
    }

    /** Blobs under the registry's prefixes that no row references and that are older than the grace period. */
    private List<BlobEntry> orphans() throws IOException {
        Instant cutoff = clock.instant().minus(properties.orphanGrace());
        List<BlobEntry> listed = new ArrayList<>();
        for (String prefix : BlobKeyspace.PREFIXES) {
            listed.addAll(blobs.list(prefix));
        }
        // read the references after listing: a row committed meanwhile protects its blob
        Set<String> referenced = new HashSet<>(jdbc.sql(
                        "SELECT blob_key FROM adapter_version WHERE blob_key IS NOT NULL"
                                + " UNION ALL SELECT archive_blob_key FROM base_model WHERE archive_blob_key IS NOT NULL")
                .query(String.class)
                .list());
        return listed.stream()
                .filter(entry -> !referenced.contains(entry.key()))
                .filter(entry -> !entry.lastModified().isAfter(cutoff))
                .toList();
    }

    private boolean delete(String key) {
        try {
            return blobs.delete(key);
        } catch (IOException e) {
            log.warn("Could not delete blob {}; the next pass retries it as an orphan: {}", key, e.getMessage());
            return false;
        } catch (UncheckedIOException e) {
            log.warn("Could not delete blob {}: {}", key, e.getMessage());
            return false;
        }
    }

    private static boolean advisory(Connection connection, String sql) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(sql)) {
            statement.setLong(1, LOCK_KEY);
            try (ResultSet result = statement.executeQuery()) {
                return result.next() && result.getBoolean(1);
            }
        }
    }
}
