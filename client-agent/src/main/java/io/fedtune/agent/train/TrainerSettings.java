package io.fedtune.agent.train;

/**
 * How this machine trains, independent of the task.
 *
 * @param device where to compute
 * @param threads intra-op threads (0: the engine's default)
 * @param checkpointEverySteps checkpoint interval in optimizer steps
 * @param holdoutFraction share of the local examples kept out of training for evaluation
 * @param memoryBudgetBytes the most memory the model may take (0: 80% of the machine's physical memory)
 */
public record TrainerSettings(
        DeviceChoice device, int threads, int checkpointEverySteps, double holdoutFraction, long memoryBudgetBytes) {

    public TrainerSettings {
        if (checkpointEverySteps < 1) {
            throw new IllegalArgumentException("checkpoint interval must be at least 1 step");
        }
        if (!(holdoutFraction >= 0 && holdoutFraction < 1)) {
            throw new IllegalArgumentException("holdout fraction must be in [0, 1), got " + holdoutFraction);
        }
    }

    /**
     * CPU or GPU as available, default threads, a checkpoint every 10 steps, 10% holdout, a memory budget of 80% of
     * physical memory.
     */
    public static TrainerSettings defaults() {
        return new TrainerSettings(DeviceChoice.AUTO, 0, 10, 0.1, 0);
    }
}
