package io.fedtune.protocol.api;

import jakarta.validation.constraints.DecimalMax;
import jakarta.validation.constraints.DecimalMin;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;

/**
 * The aggregation strategy and its parameters; parameters a strategy does not use are ignored. Zero means "the
 * default" for the optional numbers.
 *
 * @param name the strategy
 * @param loraMode which LoRA parameterisation is aggregated (default fedit)
 * @param serverLearningRate η of FedAvgM / FedAdam / FedYogi / FedAdagrad (default 1.0 for FedAvgM, 0.01 otherwise)
 * @param serverMomentum β of FedAvgM (default 0.9)
 * @param beta1 β₁ of the adaptive optimizers (default 0.9)
 * @param beta2 β₂ of FedAdam and FedYogi (default 0.99)
 * @param tau τ, the adaptivity constant (default 1e-3)
 * @param trimFraction β of the trimmed mean: the fraction dropped at each end (default 0.1)
 * @param byzantineClients f, the number of faulty clients Krum tolerates (default 0)
 * @param multiKrumSelect m, how many updates Multi-Krum averages (default n − f)
 * @param stackMaxRank stack mode: when the stacked global rank would exceed this, it is re-factorised to it by
 *     truncated SVD (0: never; the rank then grows each round)
 */
public record StrategySpec(
        @NotNull StrategyName name,
        LoraMode loraMode,
        @DecimalMin("0") @DecimalMax("1000") double serverLearningRate,

        @DecimalMin("0") @DecimalMax(value = "1", inclusive = false)
        double serverMomentum,

        @DecimalMin("0") @DecimalMax(value = "1", inclusive = false)
        double beta1,

        @DecimalMin("0") @DecimalMax(value = "1", inclusive = false)
        double beta2,

        @DecimalMin("0") @DecimalMax("1") double tau,

        @DecimalMin("0") @DecimalMax(value = "0.5", inclusive = false)
        double trimFraction,

        @Min(0) @Max(1000) int byzantineClients,
        @Min(0) @Max(100_000) int multiKrumSelect,
        @Min(0) @Max(1 << 16) int stackMaxRank) {

    public StrategySpec {
        loraMode = loraMode == null ? LoraMode.FEDIT : loraMode;
    }

    /** Plain example-weighted FedAvg in the given LoRA mode. */
    public static StrategySpec fedAvg(LoraMode mode) {
        return new StrategySpec(StrategyName.FEDAVG, mode, 0, 0, 0, 0, 0, 0, 0, 0, 0);
    }

    /** η with its per-strategy default. */
    public double effectiveServerLearningRate() {
        if (serverLearningRate > 0) {
            return serverLearningRate;
        }
        return name == StrategyName.FEDAVGM ? 1.0 : 0.01;
    }

    /** FedAvgM's β with its default. */
    public double effectiveMomentum() {
        return serverMomentum > 0 ? serverMomentum : 0.9;
    }

    /** β₁ with its default. */
    public double effectiveBeta1() {
        return beta1 > 0 ? beta1 : 0.9;
    }

    /** β₂ with its default. */
    public double effectiveBeta2() {
        return beta2 > 0 ? beta2 : 0.99;
    }

    /** τ with its default. */
    public double effectiveTau() {
        return tau > 0 ? tau : 1e-3;
    }

    /** The trimmed mean's β with its default. */
    public double effectiveTrimFraction() {
        return trimFraction > 0 ? trimFraction : 0.1;
    }
}
