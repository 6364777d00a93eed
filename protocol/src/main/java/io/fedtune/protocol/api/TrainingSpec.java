package io.fedtune.protocol.api;

import jakarta.validation.constraints.DecimalMax;
import jakarta.validation.constraints.DecimalMin;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.Positive;

/**
 * Local training hyper-parameters, handed unchanged to every agent with its task.
 *
 * @param localEpochs passes over the local training data per round
 * @param maxSteps an upper bound on optimizer steps per round (0: no bound)
 * @param batchSize examples per step
 * @param learningRate the local optimizer's learning rate
 * @param weightDecay AdamW weight decay
 * @param maxSequenceLength tokens per example after truncation
 * @param proximalMu FedProx μ (0 disables the proximal term)
 * @param gradientClipNorm per-step gradient norm clipping (0 disables)
 */
public record TrainingSpec(
        @Min(1) @Max(1000) int localEpochs,
        @Min(0) @Max(10_000_000) int maxSteps,
        @Min(1) @Max(65_536) int batchSize,
        @Positive @DecimalMax("10") double learningRate,
        @DecimalMin("0") @DecimalMax("10") double weightDecay,
        @Min(1) @Max(1_048_576) int maxSequenceLength,
        @DecimalMin("0") @DecimalMax("100") double proximalMu,
        @DecimalMin("0") double gradientClipNorm) {}
