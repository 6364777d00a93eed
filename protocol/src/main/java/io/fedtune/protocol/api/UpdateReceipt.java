package io.fedtune.protocol.api;

import java.time.Instant;
import java.util.UUID;

/**
 * The answer to an accepted upload. Uploading the same bytes again returns the same receipt with
 * {@code duplicate = true}; different bytes for the same round are refused with 409.
 *
 * @param federationId the federation
 * @param round the round
 * @param clientId the uploader
 * @param sha256 the SHA-256 of the stored bytes
 * @param sizeBytes their length
 * @param receivedAt when the update was first accepted
 * @param duplicate whether this request repeated an accepted upload
 */
public record UpdateReceipt(
        UUID federationId,
        int round,
        UUID clientId,
        String sha256,
        long sizeBytes,
        Instant receivedAt,
        boolean duplicate) {}
