package io.fedtune.protocol.api;

import java.util.Map;

/**
 * What a round's aggregation did, as a whole.
 *
 * @param updates updates aggregated
 * @param examples total training examples behind them
 * @param clientMetrics example-weighted means of the metrics clients reported
 * @param bytesIn update bytes read by the aggregation
 * @param bytesOut bytes of the new global adapter
 * @param aggregationMillis wall time of the aggregation
 * @param epsilon the (ε, δ)-DP ε spent up to and including this round, with differential privacy on
 * @param delta δ of that report
 */
public record RoundMetrics(
        int updates,
        long examples,
        Map<String, Double> clientMetrics,
        long bytesIn,
        long bytesOut,
        long aggregationMillis,
        Double epsilon,
        Double delta) {}
