package io.fedtune.protocol.api;

import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Size;

/**
 * An agent giving up on its task: {@code POST .../rounds/{round}/failure}. The assignment becomes FAILED and the
 * round stops waiting for it.
 *
 * @param reason the kind of failure
 * @param message details for the admin (no private data)
 */
public record FailureReport(
        @NotNull FailureReason reason, @Size(max = 2000) String message) {}
