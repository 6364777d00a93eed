/**
 * The model registry's REST contract: base models, adapter versions with their lineage and tags, comparisons, and
 * the audit of admin actions, under {@code /api/v1/models} and {@code /api/v1/adapters}. Request records carry Bean
 * Validation constraints and the registry answers violations with a 400 ProblemDetail; unknown JSON fields are
 * rejected. {@link io.fedtune.protocol.api.registry.RegistryApi} names every path and header.
 */
package io.fedtune.protocol.api.registry;
