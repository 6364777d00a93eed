package io.fedtune.protocol.api.registry;

import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;

/**
 * Puts a tag on a version, {@code PUT /api/v1/adapters/{federationId}/tags/{tag}}; a tag that was on another
 * version moves.
 *
 * @param version the version to tag
 */
public record TagAssignment(@NotNull @Min(0) Integer version) {}
