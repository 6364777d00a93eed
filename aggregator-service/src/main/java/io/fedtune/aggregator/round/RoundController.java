package io.fedtune.aggregator.round;

import io.fedtune.aggregator.federation.FederationService;
import io.fedtune.aggregator.system.AggregatorException;
import io.fedtune.protocol.api.AssignmentStatus;
import io.fedtune.protocol.api.ClientRoundView;
import io.fedtune.protocol.api.RoundDetail;
import io.fedtune.protocol.api.RoundMetrics;
import io.fedtune.protocol.api.RoundView;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.springframework.http.HttpStatus;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.json.JsonMapper;

/** The admin API of rounds: the list, and one round with each client's part and the aggregate. */
@RestController
@RequestMapping("/api/v1/federations/{federationId}/rounds")
class RoundController {

    private final JdbcClient jdbc;
    private final FederationService federations;
    private final JsonMapper json;

    RoundController(JdbcClient jdbc, FederationService federations, JsonMapper json) {
        this.jdbc = jdbc;
        this.federations = federations;
        this.json = json;
    }

    @GetMapping
    List<RoundView> list(@PathVariable UUID federationId) {
        federations.get(federationId);
        return jdbc
                .sql("SELECT * FROM round WHERE federation_id = ? ORDER BY number, attempt")
                .param(federationId)
                .query(Round::map)
                .list()
                .stream()
                .map(this::view)
                .toList();
    }

    @GetMapping("/{number}")
    RoundDetail get(@PathVariable UUID federationId, @PathVariable int number) {
        federations.get(federationId);
        record Row(Round round, String metrics) {}
        Row row = jdbc.sql("SELECT * FROM round WHERE federation_id = ? AND number = ? ORDER BY attempt DESC LIMIT 1")
                .params(federationId, number)
                .query((rs, n) -> new Row(Round.map(rs, n), rs.getString("metrics")))
                .optional()
                .orElseThrow(() -> new AggregatorException(HttpStatus.NOT_FOUND, "not-found", "No round " + number));
        List<ClientRoundView> clients = jdbc.sql(
                        "SELECT a.client_id, c.name, a.status, a.assigned_at, a.failure_reason,"
                                + " u.example_count, u.metrics, u.size_bytes, u.norm, u.clip_factor, u.received_at"
                                + " FROM assignment a JOIN client c ON c.id = a.client_id"
                                + " LEFT JOIN client_update u ON u.round_id = a.round_id AND u.client_id = a.client_id"
                                + " WHERE a.round_id = ? ORDER BY c.name")
                .param(row.round().id())
                .query((rs, n) -> new ClientRoundView(
                        rs.getObject("client_id", UUID.class),
                        rs.getString("name"),
                        AssignmentStatus.valueOf(rs.getString("status")),
                        (Long) rs.getObject("example_count"),
                        rs.getString("metrics") == null
                                ? Map.of()
                                : json.readValue(rs.getString("metrics"), new TypeReference<Map<String, Double>>() {}),
                        (Long) rs.getObject("size_bytes"),
                        (Double) rs.getObject("norm"),
                        rs.getObject("clip_factor") != null && rs.getDouble("clip_factor") < 1.0,
                        rs.getString("failure_reason"),
                        rs.getTimestamp("assigned_at").toInstant(),
                        rs.getTimestamp("received_at") == null
                                ? null
                                : rs.getTimestamp("received_at").toInstant()))
                .list();
        RoundMetrics metrics = row.metrics() == null ? null : json.readValue(row.metrics(), RoundMetrics.class);
        return new RoundDetail(view(row.round()), clients, metrics);
    }

    private RoundView view(Round r) {
        int failed = jdbc.sql("SELECT count(*) FROM assignment WHERE round_id = ? AND status IN ('FAILED', 'EXPIRED')")
                .param(r.id())
                .query(Integer.class)
                .single();
        return new RoundView(
                r.federationId(),
                r.number(),
                r.attempt(),
                r.status(),
                r.openedAt(),
                r.deadline(),
                r.closedAt(),
                r.sampled(),
                r.submitted(),
                failed,
                r.minClients(),
                r.adapterVersion(),
                r.failureReason());
    }
}
