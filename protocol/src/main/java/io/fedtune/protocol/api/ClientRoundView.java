package io.fedtune.protocol.api;

import java.time.Instant;
import java.util.Map;
import java.util.UUID;

/**
 * One client's part in one round, with the metrics it reported.
 *
 * @param clientId the client
 * @param clientName its name
 * @param status its assignment's state
 * @param exampleCount training examples it used (once submitted)
 * @param metrics the metrics it reported (e.g. {@code train_loss}, {@code eval_loss})
 * @param updateBytes the size of its upload
 * @param updateNorm the L2 norm of its delta to the global adapter
 * @param clipped whether its delta was clipped to the norm bound
 * @param failureReason why it failed or expired
 * @param assignedAt when it was assigned
 * @param submittedAt when its update was accepted
 */
public record ClientRoundView(
        UUID clientId,
        String clientName,
        AssignmentStatus status,
        Long exampleCount,
        Map<String, Double> metrics,
        Long updateBytes,
        Double updateNorm,
        boolean clipped,
        String failureReason,
        Instant assignedAt,
        Instant submittedAt) {}
