package io.fedtune.protocol.api;

import java.util.List;

/**
 * One round with each client's part and the aggregate.
 *
 * @param round the round
 * @param clients every assignment of the round
 * @param aggregate what the aggregation did (null until the round completed)
 */
public record RoundDetail(RoundView round, List<ClientRoundView> clients, RoundMetrics aggregate) {}
