package io.fedtune.protocol.api;

import java.time.Instant;
import java.util.UUID;

/**
 * An enrolled client (agent).
 *
 * @param id its client id (the OAuth2 client_id)
 * @param federationId the federation it enrolled into
 * @param name the name it gave at enrollment
 * @param status active or revoked
 * @param enrolledAt when it enrolled
 * @param lastSeenAt its last heartbeat, poll or upload
 * @param live whether it was seen within the liveness window
 * @param updatesSubmitted how many of its updates were accepted
 */
public record ClientView(
        UUID id,
        UUID federationId,
        String name,
        ClientStatus status,
        Instant enrolledAt,
        Instant lastSeenAt,
        boolean live,
        int updatesSubmitted) {}
