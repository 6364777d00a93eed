package io.fedtune.trainer.train;

import java.time.Duration;

/**
 * Where a training run stands after an optimizer step.
 *
 * @param step optimizer steps done (1-based)
 * @param totalSteps steps the run will take
 * @param loss this step's mean loss over its response tokens
 * @param tokensPerSecond tokens (prompt and response, no padding) processed per second since the run started
 * @param eta estimated time to the last step
 */
public record TrainingProgress(int step, int totalSteps, double loss, double tokensPerSecond, Duration eta) {}
