package io.fedtune.aggregator.client;

import io.fedtune.aggregator.system.AggregatorException;
import io.fedtune.protocol.api.ClientStatus;
import io.fedtune.protocol.api.ClientView;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.springframework.http.HttpStatus;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.security.oauth2.jwt.Jwt;
import org.springframework.stereotype.Component;

/** Enrolled clients: who they are, whether they are still allowed in, and when they were last seen. */
@Component
public class ClientDirectory {

    /**
     * An active client, as the agent API resolves it from a token.
     *
     * @param id its id
     * @param federationId its federation
     * @param name its name
     */
    public record Agent(UUID id, UUID federationId, String name) {}

    private final JdbcClient jdbc;
    private final Clock clock;

    ClientDirectory(JdbcClient jdbc, Clock clock) {
        this.jdbc = jdbc;
        this.clock = clock;
    }

    /**
     * The active client behind an AGENT token; marks it seen. A revoked client's still-unexpired token is refused
     * here.
     */
    public Agent requireActive(Jwt jwt) {
        UUID id;
        try {
            id = UUID.fromString(jwt.getSubject());
        } catch (IllegalArgumentException e) {
            throw new AggregatorException(HttpStatus.FORBIDDEN, "not-an-agent", "The token's subject is no client");
        }
        record Row(UUID federationId, String name, String status) {}
        Row row = jdbc.sql("UPDATE client SET last_seen_at = ? WHERE id = ? RETURNING federation_id, name, status")
                .params(Timestamp.from(clock.instant()), id)
                .query((rs, n) -> new Row(rs.getObject(1, UUID.class), rs.getString(2), rs.getString(3)))
                .optional()
                .orElseThrow(
                        () -> new AggregatorException(HttpStatus.UNAUTHORIZED, "unknown-client", "No client " + id));
        if (!ClientStatus.ACTIVE.name().equals(row.status())) {
            throw new AggregatorException(HttpStatus.UNAUTHORIZED, "client-revoked", "Client " + id + " is revoked");
        }
        List<String> federations = jwt.getClaimAsStringList("federations");
        if (federations == null || !federations.contains(row.federationId().toString())) {
            throw new AggregatorException(
                    HttpStatus.FORBIDDEN, "wrong-federation", "The token is not valid for this client's federation");
        }
        return new Agent(id, row.federationId(), row.name());
    }

    /** The clients of a federation, with liveness judged against {@code window}. */
    public List<ClientView> list(UUID federationId, Duration window) {
        Instant liveSince = clock.instant().minus(window);
        return jdbc.sql("SELECT c.*, (SELECT count(*) FROM client_update u WHERE u.client_id = c.id) AS submitted"
                        + " FROM client c WHERE federation_id = ? ORDER BY enrolled_at, name")
                .param(federationId)
                .query((rs, n) -> view(rs, liveSince))
                .list();
    }

    private static ClientView view(ResultSet rs, Instant liveSince) throws SQLException {
        Instant lastSeen = rs.getTimestamp("last_seen_at").toInstant();
        ClientStatus status = ClientStatus.valueOf(rs.getString("status"));
        return new ClientView(
                rs.getObject("id", UUID.class),
                rs.getObject("federation_id", UUID.class),
                rs.getString("name"),
                status,
                rs.getTimestamp("enrolled_at").toInstant(),
                lastSeen,
                status == ClientStatus.ACTIVE && !lastSeen.isBefore(liveSince),
                rs.getInt("submitted"));
    }
}
