package io.fedtune.protocol.api;

import java.time.Instant;
import java.util.UUID;

/**
 * A new enrollment token. The token itself is shown only here, once; the service keeps only its hash.
 *
 * @param id the token's id (for listing and revoking)
 * @param token the secret to hand to the data owner
 * @param federationId the federation it enrolls into
 * @param expiresAt when it stops working
 * @param maxUses how many agents may enroll with it
 */
public record EnrollmentTokenCreated(UUID id, String token, UUID federationId, Instant expiresAt, int maxUses) {}
