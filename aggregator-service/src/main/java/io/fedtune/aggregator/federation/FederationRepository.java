package io.fedtune.aggregator.federation;

import io.fedtune.protocol.api.FederationConfig;
import io.fedtune.protocol.api.FederationStatus;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;
import tools.jackson.databind.json.JsonMapper;

/** Federation rows; every state write checks the version. */
@Repository
public class FederationRepository {

    private static final String COLUMNS = "id, name, status, config, current_round, adapter_version, failure_reason,"
            + " created_at, updated_at, created_by, version";

    private final JdbcClient jdbc;
    private final JsonMapper json;

    FederationRepository(JdbcClient jdbc, JsonMapper json) {
        this.jdbc = jdbc;
        this.json = json;
    }

    void insert(Federation f) {
        jdbc.sql("INSERT INTO federation (" + COLUMNS + ") VALUES (?, ?, ?, ?::jsonb, ?, ?, ?, ?, ?, ?, ?)")
                .params(
                        f.id(),
                        f.name(),
                        f.status().name(),
                        json.writeValueAsString(f.config()),
                        f.currentRound(),
                        f.adapterVersion(),
                        f.failureReason(),
                        Timestamp.from(f.createdAt()),
                        Timestamp.from(f.updatedAt()),
                        f.createdBy(),
                        f.version())
                .update();
    }

    public Optional<Federation> find(UUID id) {
        return jdbc.sql("SELECT " + COLUMNS + " FROM federation WHERE id = ?")
                .param(id)
                .query(this::map)
                .optional();
    }

    /** Locks the row for this transaction, or returns empty when another replica holds it. */
    public Optional<Federation> lockIfFree(UUID id) {
        return jdbc.sql("SELECT " + COLUMNS + " FROM federation WHERE id = ? FOR UPDATE SKIP LOCKED")
                .param(id)
                .query(this::map)
                .optional();
    }

    public boolean nameTaken(String name) {
        return jdbc.sql("SELECT count(*) FROM federation WHERE name = ?")
                        .param(name)
                        .query(Integer.class)
                        .single()
                > 0;
    }

    public List<Federation> list() {
        return jdbc.sql("SELECT " + COLUMNS + " FROM federation ORDER BY created_at DESC")
                .query(this::map)
                .list();
    }

    public List<UUID> runningIds() {
        return jdbc.sql("SELECT id FROM federation WHERE status = 'RUNNING' ORDER BY created_at")
                .query(UUID.class)
                .list();
    }

    /**
     * Moves the federation to a new state if nobody changed it since {@code expectedVersion}.
     *
     * @return whether this write won
     */
    public boolean updateStatus(
            UUID id, long expectedVersion, FederationStatus status, String failureReason, Instant now) {
        return jdbc.sql("UPDATE federation SET status = ?, failure_reason = coalesce(?, failure_reason),"
                                + " updated_at = ?, version = version + 1 WHERE id = ? AND version = ?")
                        .params(status.name(), failureReason, Timestamp.from(now), id, expectedVersion)
                        .update()
                == 1;
    }

    /** Records the newest round and adapter version. */
    public void recordProgress(UUID id, int currentRound, Integer adapterVersion, Instant now) {
        jdbc.sql("UPDATE federation SET current_round = greatest(current_round, ?),"
                        + " adapter_version = greatest(coalesce(adapter_version, -1), coalesce(?, -1)),"
                        + " updated_at = ?, version = version + 1 WHERE id = ?")
                .params(currentRound, adapterVersion, Timestamp.from(now), id)
                .update();
    }

    private Federation map(ResultSet rs, int row) throws SQLException {
        return new Federation(
                rs.getObject("id", UUID.class),
                rs.getString("name"),
                FederationStatus.valueOf(rs.getString("status")),
                json.readValue(rs.getString("config"), FederationConfig.class),
                rs.getInt("current_round"),
                (Integer) rs.getObject("adapter_version"),
                rs.getString("failure_reason"),
                rs.getTimestamp("created_at").toInstant(),
                rs.getTimestamp("updated_at").toInstant(),
                rs.getString("created_by"),
                rs.getLong("version"));
    }
}
