package io.fedtune.aggregator.round;

import io.fedtune.aggregator.system.StateMachines;
import io.fedtune.protocol.api.AssignmentStatus;
import io.fedtune.protocol.api.RoundStatus;
import java.sql.Timestamp;
import java.time.Clock;
import java.util.List;
import java.util.UUID;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;

/** Ends rounds and assignments early, for cancellation and revocation; runs in the caller's transaction. */
@Component
public class RoundCloser {

    private final JdbcClient jdbc;
    private final Clock clock;

    RoundCloser(JdbcClient jdbc, Clock clock) {
        this.jdbc = jdbc;
        this.clock = clock;
    }

    /** Fails the federation's collecting round and expires its open assignments. */
    public void failOpenRounds(UUID federationId, String reason) {
        List<Round> open = jdbc.sql("SELECT * FROM round WHERE federation_id = ? AND status = 'COLLECTING' FOR UPDATE")
                .param(federationId)
                .query(Round::map)
                .list();
        for (Round round : open) {
            StateMachines.ROUND.move(round.status(), RoundStatus.FAILED);
            jdbc.sql("UPDATE round SET status = 'FAILED', failure_reason = ?, closed_at = ?, version = version + 1"
                            + " WHERE id = ?")
                    .params(reason, Timestamp.from(clock.instant()), round.id())
                    .update();
            expireOpen(round.id(), reason);
        }
    }

    /** Expires the open assignments of a round. */
    void expireOpen(long roundId, String reason) {
        for (AssignmentStatus from : List.of(AssignmentStatus.ASSIGNED, AssignmentStatus.DOWNLOADED)) {
            StateMachines.ASSIGNMENT.move(from, AssignmentStatus.EXPIRED);
        }
        jdbc.sql("UPDATE assignment SET status = 'EXPIRED', failure_reason = ?, finished_at = ?,"
                        + " version = version + 1 WHERE round_id = ? AND status IN ('ASSIGNED', 'DOWNLOADED')")
                .params(reason, Timestamp.from(clock.instant()), roundId)
                .update();
    }

    /** Fails every open assignment of a client (it was revoked). */
    public void failOpenAssignments(UUID clientId, String reason) {
        StateMachines.ASSIGNMENT.move(AssignmentStatus.ASSIGNED, AssignmentStatus.FAILED);
        jdbc.sql("UPDATE assignment SET status = 'FAILED', failure_reason = ?, finished_at = ?,"
                        + " version = version + 1 WHERE client_id = ? AND status IN ('ASSIGNED', 'DOWNLOADED')")
                .params(reason, Timestamp.from(clock.instant()), clientId)
                .update();
    }
}
