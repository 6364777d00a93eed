package io.fedtune.registry.adapter;

import io.fedtune.protocol.api.registry.AdapterMetrics;
import io.fedtune.protocol.api.registry.AdapterPeftConfig;
import io.fedtune.protocol.api.registry.AdapterTagView;
import io.fedtune.protocol.api.registry.PrivacySettings;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;
import tools.jackson.databind.json.JsonMapper;

/** Federations, adapter versions and tags in the {@code registry} schema. */
@Repository
class AdapterRepository {

    private static final String VERSION_COLUMNS = versionColumns("");

    private final JdbcClient jdbc;
    private final JsonMapper json;

    AdapterRepository(JdbcClient jdbc, JsonMapper json) {
        this.jdbc = jdbc;
        this.json = json;
    }

    // federations

    Optional<Federation> federation(UUID id) {
        return jdbc.sql(
                        "SELECT id, name, base_model, privacy::text AS privacy, created_at FROM federation WHERE id = ?")
                .param(id)
                .query(this::mapFederation)
                .optional();
    }

    List<Federation> federations() {
        return jdbc.sql("SELECT id, name, base_model, privacy::text AS privacy, created_at FROM federation"
                        + " ORDER BY created_at, id")
                .query(this::mapFederation)
                .list();
    }

    /** Creates the federation's record, or refreshes its name and privacy settings; locks the row. */
    Federation upsertFederation(UUID id, String name, String baseModel, PrivacySettings privacy, Instant now) {
        jdbc.sql("INSERT INTO federation (id, name, base_model, privacy, created_at, updated_at)"
                        + " VALUES (?, ?, ?, ?::jsonb, ?, ?)"
                        + " ON CONFLICT (id) DO UPDATE SET name = excluded.name, privacy = excluded.privacy,"
                        + " updated_at = excluded.updated_at, version = federation.version + 1")
                .params(id, name, baseModel, json.writeValueAsString(privacy), Timestamp.from(now), Timestamp.from(now))
                .update();
        return federation(id).orElseThrow();
    }

    /** Versions recorded and the newest, per federation. */
    Map<UUID, int[]> versionCounts() {
        Map<UUID, int[]> counts = new LinkedHashMap<>();
        jdbc.sql("SELECT federation_id, count(*) AS versions, max(version) AS latest FROM adapter_version"
                        + " GROUP BY federation_id")
                .query(rs -> {
                    counts.put(
                            rs.getObject("federation_id", UUID.class),
                            new int[] {rs.getInt("versions"), rs.getInt("latest")});
                });
        return counts;
    }

    // versions

    /** Inserts a version; false when the federation already has one with that number. */
    boolean insertVersion(AdapterVersion v) {
        return jdbc.sql("INSERT INTO adapter_version (id, federation_id, version, round, parent_version, base_model,"
                                + " peft, strategy, metrics, sha256, size_bytes, crc32, blob_key, created_at,"
                                + " created_by) VALUES (?, ?, ?, ?, ?, ?, ?::jsonb, ?, ?::jsonb, ?, ?, ?, ?, ?, ?)"
                                + " ON CONFLICT ON CONSTRAINT adapter_version_unique DO NOTHING")
                        .params(
                                v.id(),
                                v.federationId(),
                                v.version(),
                                v.round(),
                                v.parentVersion(),
                                v.baseModel(),
                                json.writeValueAsString(v.peft()),
                                v.strategy(),
                                json.writeValueAsString(v.metrics()),
                                v.sha256(),
                                v.sizeBytes(),
                                v.crc32(),
                                v.blobKey(),
                                Timestamp.from(v.createdAt()),
                                v.createdBy())
                        .update()
                == 1;
    }

    Optional<AdapterVersion> version(UUID federationId, int version) {
        return jdbc.sql("SELECT " + VERSION_COLUMNS + " FROM adapter_version WHERE federation_id = ? AND version = ?")
                .params(federationId, version)
                .query(this::mapVersion)
                .optional();
    }

    /** Locks a version's row against pruning and tagging at the same time. */
    Optional<AdapterVersion> lockVersion(UUID federationId, int version) {
        return jdbc.sql("SELECT " + VERSION_COLUMNS + " FROM adapter_version WHERE federation_id = ? AND version = ?"
                        + " FOR UPDATE")
                .params(federationId, version)
                .query(this::mapVersion)
                .optional();
    }

    Optional<AdapterVersion> latest(UUID federationId) {
        return jdbc.sql("SELECT " + VERSION_COLUMNS + " FROM adapter_version WHERE federation_id = ?"
                        + " ORDER BY version DESC LIMIT 1")
                .param(federationId)
                .query(this::mapVersion)
                .optional();
    }

    /** Newest first. */
    List<AdapterVersion> versions(UUID federationId) {
        return jdbc.sql("SELECT " + VERSION_COLUMNS + " FROM adapter_version WHERE federation_id = ?"
                        + " ORDER BY version DESC")
                .param(federationId)
                .query(this::mapVersion)
                .list();
    }

    /** The parent, the parent's parent, ..., the root. */
    List<AdapterVersion> ancestors(UUID federationId, int version) {
        return jdbc.sql("WITH RECURSIVE chain AS ("
                        + " SELECT federation_id, parent_version, 0 AS depth FROM adapter_version"
                        + "  WHERE federation_id = ? AND version = ?"
                        + " UNION ALL"
                        + " SELECT p.federation_id, p.parent_version, c.depth + 1 FROM adapter_version p"
                        + "  JOIN chain c ON p.federation_id = c.federation_id AND p.version = c.parent_version)"
                        + " SELECT " + versionColumns("v") + " FROM chain c JOIN adapter_version v"
                        + "  ON v.federation_id = c.federation_id AND v.version = c.parent_version"
                        + " ORDER BY c.depth")
                .params(federationId, version)
                .query(this::mapVersion)
                .list();
    }

    // tags

    /** Puts a tag on a version (moving it when it was elsewhere). */
    void putTag(UUID federationId, String tag, int version, Instant now, String actor) {
        jdbc.sql("INSERT INTO adapter_tag (federation_id, tag, version, tagged_at, tagged_by) VALUES (?, ?, ?, ?, ?)"
                        + " ON CONFLICT (federation_id, tag) DO UPDATE SET version = excluded.version,"
                        + " tagged_at = excluded.tagged_at, tagged_by = excluded.tagged_by")
                .params(federationId, tag, version, Timestamp.from(now), actor)
                .update();
    }

    boolean deleteTag(UUID federationId, String tag) {
        return jdbc.sql("DELETE FROM adapter_tag WHERE federation_id = ? AND tag = ?")
                        .params(federationId, tag)
                        .update()
                == 1;
    }

    Optional<AdapterTagView> tag(UUID federationId, String tag) {
        return jdbc.sql("SELECT tag, federation_id, version, tagged_at, tagged_by FROM adapter_tag"
                        + " WHERE federation_id = ? AND tag = ?")
                .params(federationId, tag)
                .query(AdapterRepository::mapTag)
                .optional();
    }

    List<AdapterTagView> tags(UUID federationId) {
        return jdbc.sql("SELECT tag, federation_id, version, tagged_at, tagged_by FROM adapter_tag"
                        + " WHERE federation_id = ? ORDER BY tag")
                .param(federationId)
                .query(AdapterRepository::mapTag)
                .list();
    }

    /** Tag names by version number. */
    Map<Integer, List<String>> tagsByVersion(UUID federationId) {
        Map<Integer, List<String>> byVersion = new LinkedHashMap<>();
        for (AdapterTagView tag : tags(federationId)) {
            byVersion.computeIfAbsent(tag.version(), v -> new ArrayList<>()).add(tag.tag());
        }
        return byVersion;
    }

    // mapping

    private static String versionColumns(String table) {
        String t = table.isEmpty() ? "" : table + ".";
        return String.join(
                ", ",
                t + "id",
                t + "federation_id",
                t + "version",
                t + "round",
                t + "parent_version",
                t + "base_model",
                t + "peft::text AS peft",
                t + "strategy",
                t + "metrics::text AS metrics",
                t + "sha256",
                t + "size_bytes",
                t + "crc32",
                t + "blob_key",
                t + "pruned_at",
                t + "created_at",
                t + "created_by");
    }

    private Federation mapFederation(ResultSet rs, int row) throws SQLException {
        return new Federation(
                rs.getObject("id", UUID.class),
                rs.getString("name"),
                rs.getString("base_model"),
                json.readValue(rs.getString("privacy"), PrivacySettings.class),
                rs.getTimestamp("created_at").toInstant());
    }

    private AdapterVersion mapVersion(ResultSet rs, int row) throws SQLException {
        Timestamp pruned = rs.getTimestamp("pruned_at");
        return new AdapterVersion(
                rs.getObject("id", UUID.class),
                rs.getObject("federation_id", UUID.class),
                rs.getInt("version"),
                rs.getInt("round"),
                rs.getObject("parent_version", Integer.class),
                rs.getString("base_model"),
                json.readValue(rs.getString("peft"), AdapterPeftConfig.class),
                rs.getString("strategy"),
                json.readValue(rs.getString("metrics"), AdapterMetrics.class),
                rs.getString("sha256"),
                rs.getLong("size_bytes"),
                rs.getLong("crc32"),
                rs.getString("blob_key"),
                pruned == null ? null : pruned.toInstant(),
                rs.getTimestamp("created_at").toInstant(),
                rs.getString("created_by"));
    }

    private static AdapterTagView mapTag(ResultSet rs, int row) throws SQLException {
        return new AdapterTagView(
                rs.getString("tag"),
                rs.getObject("federation_id", UUID.class),
                rs.getInt("version"),
                rs.getTimestamp("tagged_at").toInstant(),
                rs.getString("tagged_by"));
    }
}
