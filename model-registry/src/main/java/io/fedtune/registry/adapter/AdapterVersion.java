package io.fedtune.registry.adapter;

import io.fedtune.protocol.api.registry.AdapterMetrics;
import io.fedtune.protocol.api.registry.AdapterPeftConfig;
import io.fedtune.protocol.api.registry.AdapterVersionView;
import io.fedtune.protocol.api.registry.RegistryApi;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

/** A row of {@code adapter_version}; {@code blobKey} is null once retention pruned the content. */
record AdapterVersion(
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
        long crc32,
        String blobKey,
        Instant prunedAt,
        Instant createdAt,
        String createdBy) {

    boolean pruned() {
        return blobKey == null;
    }

    AdapterVersionView toView(List<String> tags) {
        return new AdapterVersionView(
                id,
                federationId,
                version,
                round,
                parentVersion,
                baseModel,
                peft,
                strategy,
                metrics,
                sha256,
                sizeBytes,
                tags,
                pruned() ? "pruned" : "available",
                createdAt,
                createdBy,
                pruned() ? null : RegistryApi.adapterContent(federationId, version),
                pruned() ? null : RegistryApi.peftExport(federationId, version));
    }
}
