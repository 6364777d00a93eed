package io.fedtune.aggregator.round;

import java.util.Map;
import java.util.UUID;

/**
 * An accepted update as the aggregation reads it.
 *
 * @param clientId its client
 * @param blobKey where its bytes are
 * @param sizeBytes their length
 * @param exampleCount FedAvg's weight
 * @param norm the L2 norm of its delta to the global adapter
 * @param clipFactor the factor its delta is scaled by (1: none)
 * @param metrics the client's metrics
 */
record AcceptedUpdate(
        UUID clientId,
        String blobKey,
        long sizeBytes,
        long exampleCount,
        double norm,
        double clipFactor,
        Map<String, Double> metrics) {}
