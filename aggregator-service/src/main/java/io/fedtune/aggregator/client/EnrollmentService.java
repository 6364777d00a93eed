package io.fedtune.aggregator.client;

import io.fedtune.aggregator.federation.Federation;
import io.fedtune.aggregator.federation.FederationService;
import io.fedtune.aggregator.round.RoundCloser;
import io.fedtune.aggregator.security.Secrets;
import io.fedtune.aggregator.security.SecurityProperties;
import io.fedtune.aggregator.system.AggregatorException;
import io.fedtune.aggregator.system.AuditLog;
import io.fedtune.protocol.api.CreateEnrollmentTokenRequest;
import io.fedtune.protocol.api.EnrollmentRequest;
import io.fedtune.protocol.api.EnrollmentResponse;
import io.fedtune.protocol.api.EnrollmentTokenCreated;
import io.fedtune.protocol.api.EnrollmentTokenView;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.springframework.http.HttpStatus;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Service;
import org.springframework.transaction.support.TransactionTemplate;

/** Enrollment tokens, enrollment itself, and revocation of clients. Only hashes of secrets are stored. */
@Service
class EnrollmentService {

    private final JdbcClient jdbc;
    private final FederationService federations;
    private final RoundCloser rounds;
    private final AuditLog audit;
    private final TransactionTemplate tx;
    private final Clock clock;
    private final SecurityProperties security;

    EnrollmentService(
            JdbcClient jdbc,
            FederationService federations,
            RoundCloser rounds,
            AuditLog audit,
            TransactionTemplate tx,
            Clock clock,
            SecurityProperties security) {
        this.jdbc = jdbc;
        this.federations = federations;
        this.rounds = rounds;
        this.audit = audit;
        this.tx = tx;
        this.clock = clock;
        this.security = security;
    }

    EnrollmentTokenCreated createToken(UUID federationId, CreateEnrollmentTokenRequest request, String actor) {
        Federation federation = federations.get(federationId);
        if (federation.status().isTerminal()) {
            throw new AggregatorException(
                    HttpStatus.CONFLICT, "federation-closed", "The federation is " + federation.status());
        }
        String token = Secrets.generate("fte_");
        UUID id = UUID.randomUUID();
        Instant now = clock.instant();
        Instant expires = now.plus(request.expiresIn());
        return tx.execute(status -> {
            jdbc.sql("INSERT INTO enrollment_token (id, federation_id, token_hash, label, created_at, created_by,"
                            + " expires_at, max_uses) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
                    .params(
                            id,
                            federationId,
                            Secrets.hash(token),
                            request.label(),
                            Timestamp.from(now),
                            actor,
                            Timestamp.from(expires),
                            request.maxUses())
                    .update();
            audit.record(actor, "enrollment-token.create", id.toString(), "ok", Map.of("federation", federationId));
            return new EnrollmentTokenCreated(id, token, federationId, expires, request.maxUses());
        });
    }

    List<EnrollmentTokenView> listTokens(UUID federationId) {
        federations.get(federationId);
        Instant now = clock.instant();
        return jdbc.sql("SELECT * FROM enrollment_token WHERE federation_id = ? ORDER BY created_at")
                .param(federationId)
                .query((rs, n) -> {
                    Instant expires = rs.getTimestamp("expires_at").toInstant();
                    Timestamp revoked = rs.getTimestamp("revoked_at");
                    int uses = rs.getInt("uses");
                    int max = rs.getInt("max_uses");
                    return new EnrollmentTokenView(
                            rs.getObject("id", UUID.class),
                            federationId,
                            rs.getString("label"),
                            rs.getTimestamp("created_at").toInstant(),
                            rs.getString("created_by"),
                            expires,
                            max,
                            uses,
                            revoked == null ? null : revoked.toInstant(),
                            revoked == null && uses < max && now.isBefore(expires));
                })
                .list();
    }

    void revokeToken(UUID federationId, UUID tokenId, String actor) {
        tx.executeWithoutResult(status -> {
            int updated = jdbc.sql("UPDATE enrollment_token SET revoked_at = coalesce(revoked_at, ?)"
                            + " WHERE id = ? AND federation_id = ?")
                    .params(Timestamp.from(clock.instant()), tokenId, federationId)
                    .update();
            if (updated == 0) {
                throw new AggregatorException(HttpStatus.NOT_FOUND, "not-found", "No enrollment token " + tokenId);
            }
            audit.record(actor, "enrollment-token.revoke", tokenId.toString(), "ok", Map.of());
        });
    }

    /** Exchanges an enrollment token for client credentials; the token's use is counted in the same statement. */
    EnrollmentResponse enroll(EnrollmentRequest request) {
        Instant now = clock.instant();
        String secret = Secrets.generate("ftc_");
        UUID clientId = UUID.randomUUID();
        return tx.execute(status -> {
            record Token(UUID id, UUID federationId) {}
            Token token = jdbc.sql("UPDATE enrollment_token SET uses = uses + 1 WHERE token_hash = ?"
                            + " AND revoked_at IS NULL AND expires_at > ? AND uses < max_uses"
                            + " RETURNING id, federation_id")
                    .params(Secrets.hash(request.token()), Timestamp.from(now))
                    .query((rs, n) -> new Token(rs.getObject(1, UUID.class), rs.getObject(2, UUID.class)))
                    .optional()
                    .orElseThrow(() -> new AggregatorException(
                            HttpStatus.UNAUTHORIZED,
                            "invalid-enrollment-token",
                            "The enrollment token is unknown, expired, revoked or used up"));
            Federation federation = federations.get(token.federationId());
            if (federation.status().isTerminal()) {
                throw new AggregatorException(
                        HttpStatus.CONFLICT, "federation-closed", "The federation is " + federation.status());
            }
            int taken = jdbc.sql("SELECT count(*) FROM client WHERE federation_id = ? AND name = ?")
                    .params(token.federationId(), request.name())
                    .query(Integer.class)
                    .single();
            if (taken > 0) {
                throw new AggregatorException(
                        HttpStatus.CONFLICT, "name-taken", "A client named " + request.name() + " is enrolled already");
            }
            jdbc.sql("INSERT INTO client (id, federation_id, name, secret_hash, status, enrollment_token_id,"
                            + " agent_version, enrolled_at, last_seen_at) VALUES (?, ?, ?, ?, 'ACTIVE', ?, ?, ?, ?)")
                    .params(
                            clientId,
                            token.federationId(),
                            request.name(),
                            Secrets.hash(secret),
                            token.id(),
                            request.agentVersion(),
                            Timestamp.from(now),
                            Timestamp.from(now))
                    .update();
            return new EnrollmentResponse(
                    clientId,
                    secret,
                    token.federationId(),
                    security.issuerUri(),
                    security.issuerUri() + "/oauth2/token");
        });
    }

    void revokeClient(UUID federationId, UUID clientId, String actor) {
        tx.executeWithoutResult(status -> {
            int updated = jdbc.sql("UPDATE client SET status = 'REVOKED', version = version + 1"
                            + " WHERE id = ? AND federation_id = ?")
                    .params(clientId, federationId)
                    .update();
            if (updated == 0) {
                throw new AggregatorException(HttpStatus.NOT_FOUND, "not-found", "No client " + clientId);
            }
            rounds.failOpenAssignments(clientId, "client revoked");
            audit.record(actor, "client.revoke", clientId.toString(), "ok", Map.of("federation", federationId));
        });
    }
}
