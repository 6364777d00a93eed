package io.fedtune.protocol.api;

import java.time.Instant;
import java.util.UUID;

/**
 * The aggregator's answer to a heartbeat.
 *
 * @param clientId the caller
 * @param federationId its federation
 * @param federationStatus the federation's state (an agent stops when it is terminal)
 * @param serverTime the aggregator's clock, for deadline arithmetic
 * @param heartbeatInterval how often to beat again, in seconds
 */
public record HeartbeatResponse(
        UUID clientId,
        UUID federationId,
        FederationStatus federationStatus,
        Instant serverTime,
        long heartbeatInterval) {}
