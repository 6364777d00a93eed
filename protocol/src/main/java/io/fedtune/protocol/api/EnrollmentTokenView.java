package io.fedtune.protocol.api;

import java.time.Instant;
import java.util.UUID;

/**
 * An enrollment token as listed, without its secret.
 *
 * @param id its id
 * @param federationId the federation it enrolls into
 * @param label the admin's note
 * @param createdAt when it was created
 * @param createdBy who created it
 * @param expiresAt when it stops working
 * @param maxUses how many enrollments it allows
 * @param uses how many it has served
 * @param revokedAt when it was revoked, if it was
 * @param usable whether it would enroll an agent now
 */
public record EnrollmentTokenView(
        UUID id,
        UUID federationId,
        String label,
        Instant createdAt,
        String createdBy,
        Instant expiresAt,
        int maxUses,
        int uses,
        Instant revokedAt,
        boolean usable) {}
