package io.fedtune.aggregator.federation;

import io.fedtune.protocol.api.FederationConfig;
import io.fedtune.protocol.api.FederationStatus;
import io.fedtune.protocol.api.FederationView;
import java.time.Instant;
import java.util.UUID;

/**
 * A federation row.
 *
 * @param id its id
 * @param name its unique name
 * @param status its state
 * @param config its immutable configuration
 * @param currentRound the newest round opened
 * @param adapterVersion the newest global adapter version
 * @param failureReason why it failed
 * @param createdAt creation time
 * @param updatedAt last state change
 * @param createdBy creator
 * @param version optimistic-locking version
 */
public record Federation(
        UUID id,
        String name,
        FederationStatus status,
        FederationConfig config,
        int currentRound,
        Integer adapterVersion,
        String failureReason,
        Instant createdAt,
        Instant updatedAt,
        String createdBy,
        long version) {

    /** The API view. */
    public FederationView view() {
        return new FederationView(
                id, name, status, config, currentRound, adapterVersion, failureReason, createdAt, updatedAt, createdBy);
    }
}
