package io.fedtune.agent.train;

import java.time.Duration;

/** Told after every optimizer step of local training. */
@FunctionalInterface
public interface TrainingProgressListener {

    /** A listener that ignores everything. */
    TrainingProgressListener NONE = (step, total, loss, tokensPerSecond, eta) -> {};

    void onStep(int step, int totalSteps, double loss, double tokensPerSecond, Duration eta);
}
