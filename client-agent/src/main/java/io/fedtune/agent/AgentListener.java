package io.fedtune.agent;

import io.fedtune.protocol.api.TaskView;
import java.time.Duration;

/** Hears what a running agent does. Every method has an empty default; called on the agent's thread. */
public interface AgentListener {

    /** A task arrived. */
    default void onTask(TaskView task) {}

    /** A training step finished. */
    default void onStep(int step, int totalSteps, double loss, double tokensPerSecond, Duration eta) {}

    /** A task ended, one way or another. */
    default void onRound(RoundEvent event) {}

    /** Something worth a line in a log: backoff, retries, the federation's end. */
    default void onNotice(String message) {}
}
