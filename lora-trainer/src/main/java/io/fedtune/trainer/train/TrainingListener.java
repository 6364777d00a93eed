package io.fedtune.trainer.train;

/** Called after every optimizer step, on the training thread; keep it quick. */
@FunctionalInterface
public interface TrainingListener {
    void onStep(TrainingProgress progress);
}
