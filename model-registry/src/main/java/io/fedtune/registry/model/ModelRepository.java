package io.fedtune.registry.model;

import io.fedtune.protocol.api.registry.BaseModelRegistration;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

/** Base models in {@code registry.base_model}. */
@Repository
class ModelRepository {

    private static final String COLUMNS = "id, name, architecture, source_uri, sha256, size_bytes, parameter_count,"
            + " license, tokenizer, deprecated, deprecated_at, deprecation_reason, archive_blob_key,"
            + " archive_content_type, archive_sha256, archive_size_bytes, archive_uploaded_at, created_at, created_by";

    private final JdbcClient jdbc;

    ModelRepository(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    /** Inserts a model; false when its name is taken. */
    boolean insert(UUID id, BaseModelRegistration registration, Instant now, String actor) {
        return jdbc.sql("INSERT INTO base_model (id, name, architecture, source_uri, sha256, size_bytes,"
                                + " parameter_count, license, tokenizer, created_at, created_by)"
                                + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (name) DO NOTHING")
                        .params(
                                id,
                                registration.name(),
                                registration.architecture(),
                                registration.sourceUri(),
                                registration.sha256(),
                                registration.sizeBytes(),
                                registration.parameterCount(),
                                registration.license(),
                                registration.tokenizer(),
                                Timestamp.from(now),
                                actor)
                        .update()
                == 1;
    }

    /** A model by id, or by name when the reference is not a UUID. */
    Optional<BaseModel> find(String reference) {
        UUID id = parseUuid(reference);
        return id != null ? findById(id) : findByName(reference);
    }

    Optional<BaseModel> findById(UUID id) {
        return jdbc.sql("SELECT " + COLUMNS + " FROM base_model WHERE id = ?")
                .param(id)
                .query(ModelRepository::map)
                .optional();
    }

    private Optional<BaseModel> findByName(String name) {
        return jdbc.sql("SELECT " + COLUMNS + " FROM base_model WHERE name = ?")
                .param(name)
                .query(ModelRepository::map)
                .optional();
    }

    List<BaseModel> list(boolean includeDeprecated) {
        return jdbc.sql("SELECT " + COLUMNS + " FROM base_model WHERE ? OR NOT deprecated ORDER BY name")
                .param(includeDeprecated)
                .query(ModelRepository::map)
                .list();
    }

    /** Marks a model deprecated, keeping the first deprecation's time and reason. */
    void deprecate(UUID id, String reason, Instant now) {
        jdbc.sql("UPDATE base_model SET deprecated = TRUE, deprecated_at = coalesce(deprecated_at, ?),"
                        + " deprecation_reason = coalesce(deprecation_reason, ?), version = version + 1"
                        + " WHERE id = ?")
                .params(Timestamp.from(now), reason, id)
                .update();
    }

    /**
     * Attaches an uploaded archive; fills in the model's checksum and size when they were unknown.
     *
     * @return false when the model already has an archive (or another upload won)
     */
    boolean attachArchive(UUID id, String blobKey, String contentType, String sha256, long size, Instant now) {
        return jdbc.sql("UPDATE base_model SET archive_blob_key = ?, archive_content_type = ?, archive_sha256 = ?,"
                                + " archive_size_bytes = ?, archive_uploaded_at = ?,"
                                + " sha256 = coalesce(sha256, ?), size_bytes = coalesce(size_bytes, ?),"
                                + " version = version + 1"
                                + " WHERE id = ? AND archive_blob_key IS NULL")
                        .params(blobKey, contentType, sha256, size, Timestamp.from(now), sha256, size, id)
                        .update()
                == 1;
    }

    private static BaseModel map(ResultSet rs, int row) throws SQLException {
        return new BaseModel(
                rs.getObject("id", UUID.class),
                rs.getString("name"),
                rs.getString("architecture"),
                rs.getString("source_uri"),
                rs.getString("sha256"),
                rs.getObject("size_bytes", Long.class),
                rs.getObject("parameter_count", Long.class),
                rs.getString("license"),
                rs.getString("tokenizer"),
                rs.getBoolean("deprecated"),
                instant(rs.getTimestamp("deprecated_at")),
                rs.getString("deprecation_reason"),
                rs.getString("archive_blob_key"),
                rs.getString("archive_content_type"),
                rs.getString("archive_sha256"),
                rs.getObject("archive_size_bytes", Long.class),
                instant(rs.getTimestamp("archive_uploaded_at")),
                instant(rs.getTimestamp("created_at")),
                rs.getString("created_by"));
    }

    private static Instant instant(Timestamp timestamp) {
        return timestamp == null ? null : timestamp.toInstant();
    }

    static UUID parseUuid(String text) {
        try {
            return text.length() == 36 ? UUID.fromString(text) : null;
        } catch (IllegalArgumentException e) {
            return null;
        }
    }
}
