package io.fedtune.aggregator.system;

import java.time.Clock;
import java.util.Map;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import tools.jackson.databind.json.JsonMapper;

/** Records admin actions in the audit table, in the caller's transaction. */
@Component
public class AuditLog {

    private final JdbcClient jdbc;
    private final Clock clock;
    private final JsonMapper json;

    AuditLog(JdbcClient jdbc, Clock clock, JsonMapper json) {
        this.jdbc = jdbc;
        this.clock = clock;
        this.json = json;
    }

    /** Appends one entry. */
    public void record(String actor, String action, String target, String outcome, Map<String, ?> detail) {
        jdbc.sql("INSERT INTO audit_log (occurred_at, actor, action, target, outcome, detail)"
                        + " VALUES (?, ?, ?, ?, ?, ?::jsonb)")
                .params(
                        java.sql.Timestamp.from(clock.instant()),
                        actor,
                        action,
                        target,
                        outcome,
                        detail == null ? null : json.writeValueAsString(detail))
                .update();
    }
}
