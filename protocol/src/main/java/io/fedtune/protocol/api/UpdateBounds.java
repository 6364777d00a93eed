package io.fedtune.protocol.api;

import jakarta.validation.constraints.DecimalMin;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;

/**
 * Checks every update passes before any strategy sees it. Keys, shapes and dtypes must match the federation's
 * adapter and every value must be finite, always; these add a norm bound and a size limit.
 *
 * @param maxNorm the largest L2 norm of an update's delta to the global adapter (0: unbounded)
 * @param normPolicy reject or clip updates beyond maxNorm
 * @param maxUploadBytes the largest upload body accepted (0: the service default)
 */
public record UpdateBounds(
        @DecimalMin("0") double maxNorm,
        NormPolicy normPolicy,
        @Min(0) @Max(1L << 40) long maxUploadBytes) {

    public UpdateBounds {
        normPolicy = normPolicy == null ? NormPolicy.REJECT : normPolicy;
    }

    /** No norm bound, the service's size limit. */
    public static UpdateBounds defaults() {
        return new UpdateBounds(0, NormPolicy.REJECT, 0);
    }
}
