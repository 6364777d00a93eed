package io.fedtune.protocol.api.registry;

import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.PositiveOrZero;
import jakarta.validation.constraints.Size;

/**
 * A base model to register, {@code POST /api/v1/models}. Its checkpoint either stays where {@code sourceUri} points,
 * or is uploaded afterwards as an archive ({@code PUT /api/v1/models/{id}/archive}).
 *
 * @param name a unique name, usable in place of the id in paths (letters, digits, {@code . _ -})
 * @param architecture the model family, e.g. {@code llama}, {@code mistral}, {@code qwen2}, {@code gpt2}
 * @param sourceUri where the checkpoint comes from: a URI or a path on the agents' machines
 * @param sha256 the checkpoint's SHA-256 when known; an uploaded archive must then match it
 * @param sizeBytes the checkpoint's size when known
 * @param parameterCount the number of parameters when known
 * @param license the licence, e.g. {@code apache-2.0}
 * @param tokenizer the tokenizer, e.g. {@code tokenizer.json} or a URI
 */
public record BaseModelRegistration(
        @NotBlank @Pattern(regexp = "[A-Za-z0-9][A-Za-z0-9._-]{0,127}")
        String name,

        @NotBlank @Pattern(regexp = "[a-z0-9_]{1,64}") String architecture,
        @NotBlank @Size(max = 2000) String sourceUri,
        @Pattern(regexp = "[0-9a-f]{64}") String sha256,
        @PositiveOrZero Long sizeBytes,
        @PositiveOrZero Long parameterCount,
        @Size(max = 200) String license,
        @Size(max = 2000) String tokenizer) {}
