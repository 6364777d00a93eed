package io.fedtune.registry.audit;

import io.fedtune.protocol.api.registry.RegistryAuditEntry;
import io.fedtune.registry.system.RegistryException;
import java.sql.Timestamp;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.json.JsonMapper;

/**
 * The registry's audit log of admin actions: who did what to which object, when, and how it ended.
 *
 * <p>A successful change records itself with {@link #record} inside its own transaction, so the change and its entry
 * commit together; {@link #run} wraps a whole action and records a refusal (the problem type) after the action's
 * transaction has rolled back.
 */
@Component
public class AuditLog {

    /** The outcome of an action that succeeded. */
    public static final String OK = "ok";

    private static final TypeReference<Map<String, Object>> DETAIL = new TypeReference<>() {};

    private final JdbcClient jdbc;
    private final JsonMapper json;
    private final Clock clock;

    AuditLog(JdbcClient jdbc, JsonMapper json, Clock clock) {
        this.jdbc = jdbc;
        this.json = json;
        this.clock = clock;
    }

    /** Records one entry, in the caller's transaction when there is one. */
    public void record(String actor, String action, String target, String outcome, Map<String, ?> detail) {
        jdbc.sql("INSERT INTO audit_entry (occurred_at, actor, action, target, outcome, detail)"
                        + " VALUES (?, ?, ?, ?, ?, ?::jsonb)")
                .params(
                        Timestamp.from(clock.instant()),
                        actor,
                        action,
                        target,
                        outcome,
                        json.writeValueAsString(detail == null ? Map.of() : detail))
                .update();
    }

    /**
     * Runs an action whose success records itself; when the action is refused with a {@link RegistryException},
     * records the refusal and rethrows.
     */
    public <T> T run(String actor, String action, String target, Callable<T> work) throws Exception {
        try {
            return work.call();
        } catch (RegistryException e) {
            record(actor, action, target, e.slug(), Map.of("status", e.status().value(), "detail", e.getMessage()));
            throw e;
        }
    }

    /** The newest entries first, at most {@code limit}, optionally only those before an entry id. */
    public List<RegistryAuditEntry> newest(int limit, Long before) {
        return jdbc.sql("SELECT id, occurred_at, actor, action, target, outcome, detail::text AS detail"
                        + " FROM audit_entry WHERE (?::bigint IS NULL OR id < ?) ORDER BY id DESC LIMIT ?")
                .params(before, before, limit)
                .query((rs, row) -> new RegistryAuditEntry(
                        rs.getLong("id"),
                        rs.getTimestamp("occurred_at").toInstant(),
                        rs.getString("actor"),
                        rs.getString("action"),
                        rs.getString("target"),
                        rs.getString("outcome"),
                        json.readValue(rs.getString("detail"), DETAIL)))
                .list();
    }
}
