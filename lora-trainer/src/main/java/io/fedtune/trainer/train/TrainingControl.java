package io.fedtune.trainer.train;

/**
 * Lets another thread stop a training run: the loop finishes its current step, writes a checkpoint (when the job has
 * a checkpoint directory), and returns a result with {@code interrupted() == true}.
 */
public final class TrainingControl {
    private volatile boolean stop;

    public void requestStop() {
        stop = true;
    }

    public boolean stopRequested() {
        return stop;
    }
}
