package io.fedtune.trainer.peft;

import io.fedtune.protocol.peft.LoraTargets;
import java.util.List;

/**
 * What to train on top of a frozen model.
 *
 * @param kind LoRA, FFA-LoRA or prompt tuning
 * @param rank LoRA rank r (ignored by prompt tuning)
 * @param alpha LoRA alpha; the update is scaled by alpha/r, or alpha/√r with rsLoRA
 * @param dropout dropout on the LoRA input while training, in [0, 1)
 * @param rsLora rank-stabilised scaling (Kalajdzievski, arXiv 2312.03732)
 * @param targetModules module names LoRA adapts ({@code q_proj}, … or GPT-2's {@code c_attn}, …)
 * @param virtualTokens prompt-tuning virtual tokens (ignored by LoRA)
 * @param promptInitText prompt tuning: initialise from this text's token embeddings; null samples vocabulary rows
 * @param sharedSeed seed of the initial A matrices (and of sampled prompt rows); FFA-LoRA clients must share it
 */
public record PeftConfig(
        PeftKind kind,
        int rank,
        double alpha,
        double dropout,
        boolean rsLora,
        List<String> targetModules,
        int virtualTokens,
        String promptInitText,
        long sharedSeed) {

    public PeftConfig {
        if (kind == null) {
            throw new IllegalArgumentException("kind is required");
        }
        if (!(dropout >= 0 && dropout < 1)) {
            throw new IllegalArgumentException("dropout must be in [0, 1), got " + dropout);
        }
        if (kind.isLora()) {
            if (rank <= 0) {
                throw new IllegalArgumentException("LoRA rank must be positive, got " + rank);
            }
            if (!(alpha > 0) || Double.isInfinite(alpha)) {
                throw new IllegalArgumentException("LoRA alpha must be positive, got " + alpha);
            }
            targetModules = LoraTargets.requireEligible(targetModules == null ? List.of() : targetModules);
        } else {
            if (virtualTokens <= 0) {
                throw new IllegalArgumentException(
                        "prompt tuning needs at least one virtual token, got " + virtualTokens);
            }
            targetModules = List.of();
        }
    }

    /** LoRA with PEFT's usual defaults: no dropout, alpha/r scaling. */
    public static PeftConfig lora(int rank, double alpha, List<String> targetModules) {
        return new PeftConfig(PeftKind.LORA, rank, alpha, 0.0, false, targetModules, 0, null, 0L);
    }

    /** FFA-LoRA: A frozen at the init derived from {@code sharedSeed}. */
    public static PeftConfig ffaLora(int rank, double alpha, List<String> targetModules, long sharedSeed) {
        return new PeftConfig(PeftKind.FFA_LORA, rank, alpha, 0.0, false, targetModules, 0, null, sharedSeed);
    }

    /** Prompt tuning with {@code virtualTokens} virtual tokens, initialised from {@code initText} (or sampled rows). */
    public static PeftConfig promptTuning(int virtualTokens, String initText, long seed) {
        return new PeftConfig(PeftKind.PROMPT_TUNING, 0, 0, 0.0, false, List.of(), virtualTokens, initText, seed);
    }

    public PeftConfig withDropout(double newDropout) {
        return new PeftConfig(
                kind, rank, alpha, newDropout, rsLora, targetModules, virtualTokens, promptInitText, sharedSeed);
    }

    public PeftConfig withRsLora(boolean enabled) {
        return new PeftConfig(
                kind, rank, alpha, dropout, enabled, targetModules, virtualTokens, promptInitText, sharedSeed);
    }

    public PeftConfig withSharedSeed(long seed) {
        return new PeftConfig(kind, rank, alpha, dropout, rsLora, targetModules, virtualTokens, promptInitText, seed);
    }

    /** The factor LoRA's B·A is multiplied by: alpha/r, or alpha/√r with rsLoRA. */
    public double scaling() {
        if (!kind.isLora()) {
            return 0;
        }
        return rsLora ? alpha / Math.sqrt(rank) : alpha / rank;
    }
}
