package io.fedtune.protocol.api.registry;

import java.time.Instant;
import java.util.UUID;

/**
 * A registered base model.
 *
 * @param id its id
 * @param name its unique name
 * @param architecture the model family
 * @param sourceUri where its checkpoint comes from
 * @param sha256 the checkpoint's SHA-256, when known (an uploaded archive's, once there is one)
 * @param sizeBytes the checkpoint's size, when known
 * @param parameterCount the number of parameters, when known
 * @param license the licence
 * @param tokenizer the tokenizer
 * @param deprecated whether new federations should no longer use it
 * @param deprecatedAt when it was deprecated
 * @param deprecationReason why
 * @param archive the uploaded checkpoint archive, or null
 * @param createdAt when it was registered
 * @param createdBy who registered it
 */
public record BaseModelView(
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
        ModelArchiveView archive,
        Instant createdAt,
        String createdBy) {}
