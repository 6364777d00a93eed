package io.fedtune.protocol.api;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * Which parameterisation of the LoRA update is aggregated. Averaging A and B separately is not the average of the
 * updates B·A (ALGORITHMS.md); the exact modes fix that.
 */
public enum LoraMode {
    /** A and B averaged separately (FedIT, arXiv 2305.05644): the common default, inexact. */
    @JsonProperty("fedit")
    FEDIT,
    /** FFA-LoRA (arXiv 2403.12313): A frozen at a shared seeded init, only B trains and is averaged; exact. */
    @JsonProperty("ffa")
    FFA,
    /** ΔW = Σ pᵢ·sᵢ·BᵢAᵢ, re-factorised to rank r by truncated SVD (as FlexLoRA); exact at full rank. */
    @JsonProperty("exact")
    EXACT,
    /**
     * FLoRA stacking (arXiv 2409.05976): the round's B's side by side and weighted A's stacked, so B·A equals
     * Σ pᵢ·BᵢAᵢ exactly for any mix of ranks; clients train a fresh adapter on top of the frozen stacked global.
     */
    @JsonProperty("stack")
    STACK,
    /** HetLoRA (arXiv 2401.06432): zero-pad each client's rank to the maximum, average, truncate on download. */
    @JsonProperty("hetlora")
    HETLORA
}
