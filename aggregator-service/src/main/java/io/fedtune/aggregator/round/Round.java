package io.fedtune.aggregator.round;

import io.fedtune.protocol.api.RoundStatus;
import java.time.Instant;
import java.util.UUID;

/**
 * A round row.
 *
 * @param id its id
 * @param federationId its federation
 * @param number its number, from 1
 * @param attempt its attempt, from 1
 * @param status its state
 * @param baseVersion the global adapter version it trains from
 * @param openedAt when it opened
 * @param deadline when it stops collecting
 * @param closedAt when it ended
 * @param sampled clients assigned
 * @param submitted updates accepted
 * @param minClients the fewest it may aggregate
 * @param adapterVersion the version it produced
 * @param failureReason why it failed
 * @param claimedBy the replica aggregating it
 * @param claimedAt since when
 * @param claims how many times its aggregation was claimed
 * @param version optimistic-locking version
 */
public record Round(
        long id,
        UUID federationId,
        int number,
        int attempt,
        RoundStatus status,
        int baseVersion,
        Instant openedAt,
        Instant deadline,
        Instant closedAt,
        int sampled,
        int submitted,
        int minClients,
        Integer adapterVersion,
        String failureReason,
        String claimedBy,
        Instant claimedAt,
        int claims,
        long version) {

    static Round map(java.sql.ResultSet rs, int row) throws java.sql.SQLException {
        return new Round(
                rs.getLong("id"),
                rs.getObject("federation_id", UUID.class),
                rs.getInt("number"),
                rs.getInt("attempt"),
                RoundStatus.valueOf(rs.getString("status")),
                rs.getInt("base_version"),
                rs.getTimestamp("opened_at").toInstant(),
                rs.getTimestamp("deadline").toInstant(),
                instant(rs.getTimestamp("closed_at")),
                rs.getInt("sampled"),
                rs.getInt("submitted"),
                rs.getInt("min_clients"),
                (Integer) rs.getObject("adapter_version"),
                rs.getString("failure_reason"),
                rs.getString("claimed_by"),
                instant(rs.getTimestamp("claimed_at")),
                rs.getInt("claims"),
                rs.getLong("version"));
    }

    private static Instant instant(java.sql.Timestamp t) {
        return t == null ? null : t.toInstant();
    }
}
