package io.fedtune.protocol.api.registry;

import jakarta.validation.constraints.Size;

/**
 * Deprecates a base model, {@code POST /api/v1/models/{id}/deprecate}.
 *
 * @param reason why, for the people who still use it (optional)
 */
public record ModelDeprecation(@Size(max = 2000) String reason) {}
