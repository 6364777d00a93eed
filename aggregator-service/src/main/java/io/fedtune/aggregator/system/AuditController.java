package io.fedtune.aggregator.system;

import io.fedtune.protocol.api.AuditEntryView;
import java.util.List;
import java.util.Map;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.json.JsonMapper;

/** The audit log of admin actions, newest first. */
@RestController
@RequestMapping("/api/v1/audit")
class AuditController {

    private final JdbcClient jdbc;
    private final JsonMapper json;

    AuditController(JdbcClient jdbc, JsonMapper json) {
        this.jdbc = jdbc;
        this.json = json;
    }

    @GetMapping
    List<AuditEntryView> list(@RequestParam(defaultValue = "100") int limit) {
        return jdbc.sql("SELECT * FROM audit_log ORDER BY id DESC LIMIT ?")
                .param(Math.max(1, Math.min(limit, 1000)))
                .query((rs, n) -> new AuditEntryView(
                        rs.getLong("id"),
                        rs.getTimestamp("occurred_at").toInstant(),
                        rs.getString("actor"),
                        rs.getString("action"),
                        rs.getString("target"),
                        rs.getString("outcome"),
                        rs.getString("detail") == null
                                ? Map.of()
                                : json.readValue(rs.getString("detail"), new TypeReference<Map<String, Object>>() {})))
                .list();
    }
}
