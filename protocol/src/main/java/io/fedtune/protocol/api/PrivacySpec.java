package io.fedtune.protocol.api;

import com.fasterxml.jackson.annotation.JsonIgnore;
import jakarta.validation.constraints.AssertTrue;
import jakarta.validation.constraints.DecimalMax;
import jakarta.validation.constraints.DecimalMin;
import jakarta.validation.constraints.NotNull;

/**
 * Central differential privacy. With {@code dp_fedavg} every client's delta is clipped to {@code clipNorm}, the
 * clipped deltas are averaged with equal weights, and Gaussian noise of standard deviation
 * {@code noiseMultiplier × clipNorm / m} is added (m = updates in the round). The (ε, δ) spent so far is reported
 * with every round. With {@code local_dp} each agent clips its own delta to {@code clipNorm} and adds noise of
 * standard deviation {@code noiseMultiplier × clipNorm} before the update leaves the machine.
 *
 * @param mode none, dp_fedavg or local_dp
 * @param clipNorm S, the L2 bound of each client's delta
 * @param noiseMultiplier z
 * @param delta δ of the (ε, δ) report
 */
public record PrivacySpec(
        @NotNull PrivacyMode mode,
        @DecimalMin("0") @DecimalMax("1e6") double clipNorm,
        @DecimalMin("0") @DecimalMax("1000") double noiseMultiplier,

        @DecimalMin("0") @DecimalMax(value = "1", inclusive = false)
        double delta) {

    /** No differential privacy. */
    public static PrivacySpec none() {
        return new PrivacySpec(PrivacyMode.NONE, 0, 0, 0);
    }

    @JsonIgnore
    @AssertTrue(
            message = "dp_fedavg needs clipNorm > 0, noiseMultiplier > 0 and 0 < delta < 1;"
                    + " local_dp needs clipNorm > 0 and noiseMultiplier > 0")
    public boolean isComplete() {
        if (mode == PrivacyMode.LOCAL_DP) {
            return clipNorm > 0 && noiseMultiplier > 0;
        }
        return mode != PrivacyMode.DP_FEDAVG || (clipNorm > 0 && noiseMultiplier > 0 && delta > 0);
    }
}
