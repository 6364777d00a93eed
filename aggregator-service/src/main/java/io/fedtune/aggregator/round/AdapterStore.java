package io.fedtune.aggregator.round;

import io.fedtune.aggregator.aggregation.AdapterLayout;
import io.fedtune.aggregator.aggregation.InitialAdapter;
import io.fedtune.aggregator.aggregation.SafetensorsFileWriter;
import io.fedtune.blobstore.BlobInfo;
import io.fedtune.blobstore.BlobStore;
import io.fedtune.protocol.api.FederationConfig;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.sql.Timestamp;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;

/** Global adapter versions: their rows, and their bytes in the blob store. */
@Component
public class AdapterStore {

    private final JdbcClient jdbc;
    private final BlobStore blobs;
    private final Clock clock;

    AdapterStore(JdbcClient jdbc, BlobStore blobs, Clock clock) {
        this.jdbc = jdbc;
        this.blobs = blobs;
        this.clock = clock;
    }

    /** The blob key of a version's adapter. Deterministic, so a retried aggregation overwrites rather than adds. */
    static String adapterKey(UUID federationId, int version) {
        return "adapters/" + federationId + "/v" + version + ".safetensors";
    }

    static String stateKey(UUID federationId, int version) {
        return "optimizer-state/" + federationId + "/v" + version + ".safetensors";
    }

    /**
     * Writes the round-0 adapter (seeded, so every replica makes the same bytes) and records version 0, unless it
     * exists already.
     */
    public AdapterVersion createInitial(UUID federationId, FederationConfig config) throws IOException {
        Optional<AdapterVersion> existing = find(federationId, 0);
        if (existing.isPresent()) {
            return existing.get();
        }
        AdapterLayout layout = AdapterLayout.of(config);
        BlobInfo info;
        try (SafetensorsFileWriter writer =
                SafetensorsFileWriter.temporary(layout.globalTensors(layout.rank()), metadata(config, 0))) {
            InitialAdapter.write(layout, config.seed(), writer);
            try (InputStream in = Files.newInputStream(writer.path())) {
                info = blobs.put(adapterKey(federationId, 0), in);
            } finally {
                Files.deleteIfExists(writer.path());
            }
        }
        insert(federationId, 0, 0, layout.rank(), info, null);
        return find(federationId, 0).orElseThrow();
    }

    /** The safetensors metadata every global adapter carries (PEFT reads {@code format}). */
    static Map<String, String> metadata(FederationConfig config, int version) {
        return Map.of(
                "format", "pt",
                "fedtune.federation", config.name(),
                "fedtune.version", Integer.toString(version),
                "fedtune.base_model", config.baseModel().id(),
                "fedtune.lora_mode", config.strategy().loraMode().name().toLowerCase(java.util.Locale.ROOT));
    }

    /** Records a version; a second insert of the same version (a retried aggregation) changes nothing. */
    void insert(UUID federationId, int version, int round, int rank, BlobInfo info, String stateKey) {
        jdbc.sql("INSERT INTO adapter_version (federation_id, version, round_number, rank, blob_key, state_key, sha256,"
                        + " size_bytes, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING")
                .params(
                        federationId,
                        version,
                        round,
                        rank,
                        info.key(),
                        stateKey,
                        info.sha256(),
                        info.size(),
                        Timestamp.from(clock.instant()))
                .update();
    }

    public Optional<AdapterVersion> find(UUID federationId, int version) {
        return jdbc.sql("SELECT * FROM adapter_version WHERE federation_id = ? AND version = ?")
                .params(federationId, version)
                .query(AdapterStore::map)
                .optional();
    }

    public List<AdapterVersion> list(UUID federationId) {
        return jdbc.sql("SELECT * FROM adapter_version WHERE federation_id = ? ORDER BY version")
                .param(federationId)
                .query(AdapterStore::map)
                .list();
    }

    public InputStream open(AdapterVersion version) throws IOException {
        return blobs.get(version.blobKey());
    }

    /** {@code length} bytes of a version's file from {@code offset} on (a resumed download). */
    public InputStream open(AdapterVersion version, long offset, long length) throws IOException {
        return blobs.get(version.blobKey(), offset, length);
    }

    static AdapterVersion map(java.sql.ResultSet rs, int row) throws java.sql.SQLException {
        return new AdapterVersion(
                rs.getObject("federation_id", UUID.class),
                rs.getInt("version"),
                rs.getInt("round_number"),
                rs.getInt("rank"),
                rs.getString("blob_key"),
                rs.getString("state_key"),
                rs.getString("sha256"),
                rs.getLong("size_bytes"),
                rs.getString("registry_id"),
                rs.getTimestamp("created_at").toInstant());
    }
}
