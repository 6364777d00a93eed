package io.fedtune.registry.model;

import io.fedtune.protocol.api.registry.BaseModelView;
import io.fedtune.protocol.api.registry.ModelArchiveView;
import io.fedtune.protocol.api.registry.RegistryApi;
import java.time.Instant;
import java.util.UUID;

/** A row of {@code base_model}. */
record BaseModel(
        UUID id,
        String name,
        String architecture,
        String sourceUri,
        String sha256,
        Long sizeBytes,
        Long parameterCount,
        String license,
        String tokenizer,
        boolean deprecated,
        Instant deprecatedAt,
        String deprecationReason,
        String archiveBlobKey,
        String archiveContentType,
        String archiveSha256,
        Long archiveSizeBytes,
        Instant archiveUploadedAt,
        Instant createdAt,
        String createdBy) {

    BaseModelView toView() {
        ModelArchiveView archive = archiveBlobKey == null
                ? null
                : new ModelArchiveView(
                        archiveContentType,
                        archiveSizeBytes,
                        archiveSha256,
                        RegistryApi.model(id) + "/archive",
                        archiveUploadedAt);
        return new BaseModelView(
                id,
                name,
                architecture,
                sourceUri,
                sha256,
                sizeBytes,
                parameterCount,
                license,
                tokenizer,
                deprecated,
                deprecatedAt,
                deprecationReason,
                archive,
                createdAt,
                createdBy);
    }
}
