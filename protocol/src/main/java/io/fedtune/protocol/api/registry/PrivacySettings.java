package io.fedtune.protocol.api.registry;

import com.fasterxml.jackson.annotation.JsonIgnore;
import jakarta.validation.constraints.AssertTrue;
import jakarta.validation.constraints.DecimalMax;
import jakarta.validation.constraints.DecimalMin;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;

/**
 * The privacy a federation trained under, as its model card reports it.
 *
 * @param mode {@code none} or {@code dp_fedavg} (user-level differential privacy applied by the aggregator)
 * @param clipNorm S, the L2 bound of each client's update (dp_fedavg)
 * @param noiseMultiplier z, the Gaussian noise multiplier (dp_fedavg)
 * @param delta δ of the (ε, δ) guarantee (dp_fedavg)
 */
public record PrivacySettings(
        @NotNull @Pattern(regexp = "none|dp_fedavg") String mode,
        @DecimalMin("0") @DecimalMax("1e6") Double clipNorm,
        @DecimalMin("0") @DecimalMax("1000") Double noiseMultiplier,

        @DecimalMin("0") @DecimalMax(value = "1", inclusive = false)
        Double delta) {

    /** No differential privacy. */
    public static PrivacySettings none() {
        return new PrivacySettings("none", null, null, null);
    }

    /** Whether differential privacy was on. */
    @JsonIgnore
    public boolean differentiallyPrivate() {
        return "dp_fedavg".equals(mode);
    }

    @JsonIgnore
    @AssertTrue(message = "dp_fedavg needs clipNorm > 0, noiseMultiplier > 0 and 0 < delta < 1")
    public boolean isComplete() {
        return !differentiallyPrivate()
                || (clipNorm != null
                        && clipNorm > 0
                        && noiseMultiplier != null
                        && noiseMultiplier > 0
                        && delta != null
                        && delta > 0);
    }
}
