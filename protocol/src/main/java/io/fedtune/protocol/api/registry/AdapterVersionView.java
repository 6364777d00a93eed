package io.fedtune.protocol.api.registry;

import java.time.Instant;
import java.util.List;
import java.util.UUID;

/**
 * One stored adapter version. Versions are immutable; only their tags move, and retention may prune their bytes
 * (the record stays, so lineage never breaks).
 *
 * @param id the registry's id of this version
 * @param federationId its federation
 * @param version its version number
 * @param round the round that produced it
 * @param parentVersion the version it was aggregated from, null for a root
 * @param baseModel the base model
 * @param peft how it is parameterised
 * @param strategy the aggregation strategy
 * @param metrics what its round measured
 * @param sha256 the SHA-256 of its safetensors bytes (the download's ETag)
 * @param sizeBytes their length
 * @param tags the tags on it, e.g. {@code production}
 * @param state {@code available}, or {@code pruned} once retention removed its bytes
 * @param createdAt when it was registered
 * @param createdBy who registered it (the token's subject)
 * @param downloadPath where to download its safetensors ({@code GET}, Range supported); null once pruned
 * @param exportPath where to download its PEFT export; null once pruned
 */
public record AdapterVersionView(
        UUID id,
        UUID federationId,
        int version,
        int round,
        Integer parentVersion,
        String baseModel,
        AdapterPeftConfig peft,
        String strategy,
        AdapterMetrics metrics,
        String sha256,
        long sizeBytes,
        List<String> tags,
        String state,
        Instant createdAt,
        String createdBy,
        String downloadPath,
        String exportPath) {}
