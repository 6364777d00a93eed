package io.fedtune.protocol.api;

import java.time.Instant;
import java.util.UUID;

/**
 * A global adapter version of a federation: version 0 is the initial adapter, version r the result of round r.
 *
 * @param federationId its federation
 * @param version its version
 * @param rank the LoRA rank of its tensors (grows in stack mode)
 * @param sha256 the SHA-256 of its safetensors bytes
 * @param sizeBytes their length
 * @param downloadPath where agents download it from the aggregator ({@code GET}, AGENT or ADMIN)
 * @param registryId its id in the model registry, once registered (null until then)
 * @param createdAt when it was made
 */
public record AdapterView(
        UUID federationId,
        int version,
        int rank,
        String sha256,
        long sizeBytes,
        String downloadPath,
        String registryId,
        Instant createdAt) {}
