package io.fedtune.trainer.train;

/**
 * Training diverged: the loss or the gradient became NaN or infinite. Thrown before the step's update, so the adapter
 * (and any checkpoint) keeps the last finite values. An {@link IllegalStateException}, which callers such as the
 * client agent map to the failure reason {@code diverged}.
 */
public final class TrainingDivergedException extends IllegalStateException {
    private final int step;

    TrainingDivergedException(int step, String what, double value) {
        super("diverged at step " + step + ": the " + what + " became " + value
                + "; lower the learning rate or enable gradient clipping");
        this.step = step;
    }

    /** The 1-based step whose loss or gradient was not finite. */
    public int step() {
        return step;
    }
}
