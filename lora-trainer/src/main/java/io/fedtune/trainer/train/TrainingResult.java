package io.fedtune.trainer.train;

import io.fedtune.trainer.peft.Adapter;
import java.util.OptionalDouble;

/**
 * What a training run produced.
 *
 * @param adapter the trained adapter
 * @param steps optimizer steps done (resumed steps included)
 * @param tokens tokens processed in this run (no padding)
 * @param firstLoss loss of the first step of this run
 * @param finalLoss loss of the last step
 * @param holdoutLoss loss on the holdout data after training, when the job had some
 * @param interrupted whether {@link TrainingControl#requestStop()} ended the run early
 */
public record TrainingResult(
        Adapter adapter,
        int steps,
        long tokens,
        double firstLoss,
        double finalLoss,
        OptionalDouble holdoutLoss,
        boolean interrupted) {}
