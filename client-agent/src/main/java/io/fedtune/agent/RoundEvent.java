package io.fedtune.agent;

import java.time.Duration;
import java.util.UUID;

/**
 * One task as this agent finished it, for listeners (the demo prints these).
 *
 * @param federationId the federation
 * @param round the round
 * @param outcome what became of the task
 * @param trainLoss the last training step's loss (NaN when training did not run)
 * @param evalLoss the local holdout loss after training (NaN when none)
 * @param examples local training examples
 * @param steps optimizer steps
 * @param bytesUp bytes this agent sent for the task (the encoded update)
 * @param bytesDown bytes it received for the task (the global adapter)
 * @param trainingTime time spent training
 * @param detail the failure's reason and message, or the receipt's checksum
 */
public record RoundEvent(
        UUID federationId,
        int round,
        Outcome outcome,
        double trainLoss,
        double evalLoss,
        long examples,
        int steps,
        long bytesUp,
        long bytesDown,
        Duration trainingTime,
        String detail) {

    /** What became of a task. */
    public enum Outcome {
        /** The update was accepted. */
        UPLOADED,
        /** The agent reported a failure to the aggregator. */
        FAILED,
        /** The round closed before the update got there. */
        ABANDONED,
        /** A stop request interrupted it; a restarted agent resumes it while the deadline allows. */
        INTERRUPTED
    }
}
