package io.fedtune.protocol.api;

import com.fasterxml.jackson.annotation.JsonIgnore;
import jakarta.validation.constraints.AssertTrue;
import jakarta.validation.constraints.DecimalMax;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.Positive;

/**
 * How many of the live clients a round samples: {@code clamp(ceil(fraction × live), minClients, maxClients)}, drawn
 * with the federation's seed and the round number. A round opens only once at least minClients are live, and it
 * aggregates when all sampled clients submitted (quorum) or, at the deadline, when at least minClients did.
 *
 * @param minClients the fewest updates a round may aggregate
 * @param fraction the share of live clients sampled (0 &lt; fraction ≤ 1)
 * @param maxClients the most clients sampled
 */
public record ClientSelection(
        @Min(1) @Max(100_000) int minClients,
        @Positive @DecimalMax("1") double fraction,
        @Min(1) @Max(100_000) int maxClients) {

    @JsonIgnore
    @AssertTrue(message = "clients.minClients must not exceed clients.maxClients")
    public boolean isMinNotAboveMax() {
        return minClients <= maxClients;
    }

    /** How many of {@code live} clients to sample, or 0 when fewer than the minimum are live. */
    public int sampleSize(int live) {
        if (live < minClients) {
            return 0;
        }
        int wanted = (int) Math.ceil(fraction * live);
        return Math.min(live, Math.max(minClients, Math.min(maxClients, wanted)));
    }
}
