package io.fedtune.trainer.bench;

/**
 * The model and step a throughput benchmark measures: a generated Llama-style model, LoRA (alpha = 2r) on all seven
 * projections, AdamW, random token sequences with every next token scored.
 *
 * @param hidden model width
 * @param layers blocks
 * @param heads query heads
 * @param kvHeads key/value heads
 * @param intermediate MLP width
 * @param vocab vocabulary
 * @param seq tokens per sequence
 * @param batch sequences per step
 * @param loraRank LoRA r
 * @param threads libtorch intra-op threads
 * @param steps measured steps (after {@code warmupSteps} unmeasured ones)
 * @param warmupSteps unmeasured steps first
 */
public record BenchConfig(
        int hidden,
        int layers,
        int heads,
        int kvHeads,
        int intermediate,
        int vocab,
        int seq,
        int batch,
        int loraRank,
        int threads,
        int steps,
        int warmupSteps) {

    public BenchConfig {
        if (hidden <= 0
                || layers <= 0
                || heads <= 0
                || kvHeads <= 0
                || intermediate <= 0
                || vocab <= 0
                || seq < 2
                || batch <= 0
                || loraRank <= 0
                || threads <= 0
                || steps <= 0
                || warmupSteps < 0) {
            throw new IllegalArgumentException("every benchmark dimension must be positive (seq at least 2)");
        }
        if (hidden % heads != 0 || heads % kvHeads != 0) {
            throw new IllegalArgumentException("hidden must be a multiple of heads, and heads of kvHeads");
        }
    }

    /** Issue 3's target: hidden 512, 8 layers, 8 heads, intermediate 1408, vocab 8192, seq 256, batch 4, r 16, 2 threads. */
    public static BenchConfig issueTarget() {
        return new BenchConfig(512, 8, 8, 8, 1408, 8192, 256, 4, 16, 2, 10, 2);
    }
}
