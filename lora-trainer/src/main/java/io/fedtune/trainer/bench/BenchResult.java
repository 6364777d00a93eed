package io.fedtune.trainer.bench;

/**
 * Figures of one throughput benchmark.
 *
 * @param tokensPerSecond training tokens (batch × seq) per second
 * @param secondsPerStep mean seconds per optimizer step
 * @param flopsPerStep floating-point operations one step needs (forward, backward to the inputs of frozen weights,
 *     LoRA weight gradients, attention; vocabulary projection only at scored positions)
 * @param achievedGflops {@code flopsPerStep / secondsPerStep / 1e9}
 * @param matmulPeakGflops best FP32 matmul rate measured in the same run with the same threads
 * @param trainableParameters LoRA parameters
 */
public record BenchResult(
        double tokensPerSecond,
        double secondsPerStep,
        double flopsPerStep,
        double achievedGflops,
        double matmulPeakGflops,
        long trainableParameters) {

    /** Achieved over peak: the model-FLOP utilisation. */
    public double utilisation() {
        return achievedGflops / matmulPeakGflops;
    }
}
