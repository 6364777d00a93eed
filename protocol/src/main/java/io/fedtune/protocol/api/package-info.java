/**
 * The aggregator's REST contract: the JSON records that admins, agents, the registry and the gateway exchange with
 * it under {@code /api/v1} and {@code /oauth2}. Every request record carries Bean Validation constraints; a service
 * validates with {@code @Valid} and answers violations with a 400 ProblemDetail. Unknown JSON fields are rejected.
 * Enum values travel in lower case ({@code "fedavg"}, {@code "trimmed_mean"}), durations as ISO-8601 strings
 * ({@code "PT10M"}), instants as ISO-8601 UTC strings.
 */
package io.fedtune.protocol.api;
