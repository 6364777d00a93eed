package io.fedtune.protocol.api;

import java.time.Instant;
import java.util.UUID;

/**
 * A federation as the admin API returns it.
 *
 * @param id its id
 * @param name its unique name
 * @param status its state
 * @param config the configuration it was created with
 * @param currentRound the round now open or last opened (0 before the first)
 * @param globalAdapterVersion the newest global adapter version (0 is the initial adapter; null before start)
 * @param failureReason why it failed, when it did
 * @param createdAt when it was created
 * @param updatedAt when its state last changed
 * @param createdBy who created it
 */
public record FederationView(
        UUID id,
        String name,
        FederationStatus status,
        FederationConfig config,
        int currentRound,
        Integer globalAdapterVersion,
        String failureReason,
        Instant createdAt,
        Instant updatedAt,
        String createdBy) {}
