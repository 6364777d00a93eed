package io.fedtune.protocol.api;

import java.time.Instant;
import java.util.UUID;

/**
 * One round of a federation.
 *
 * @param federationId its federation
 * @param number the round number, from 1
 * @param attempt 1 for the first try; more when a failed round was retried
 * @param status its state
 * @param openedAt when it opened and sampled its clients
 * @param deadline when it stops collecting
 * @param closedAt when it completed or failed
 * @param sampled clients assigned
 * @param submitted updates accepted
 * @param failed assignments that failed or expired
 * @param minClients the fewest updates it may aggregate
 * @param adapterVersion the global adapter version it produced, once completed
 * @param failureReason why it failed, when it did
 */
public record RoundView(
        UUID federationId,
        int number,
        int attempt,
        RoundStatus status,
        Instant openedAt,
        Instant deadline,
        Instant closedAt,
        int sampled,
        int submitted,
        int failed,
        int minClients,
        Integer adapterVersion,
        String failureReason) {}
