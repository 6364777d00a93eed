package io.fedtune.agent.train;

/**
 * Trains one task's adapter on this machine's data: the port between the agent's loop and the ML code
 * (lora-trainer). Implementations checkpoint under {@link LocalTrainingRequest#checkpointDir()} and resume from
 * there, so a restarted agent continues a task instead of starting over.
 */
public interface LocalTrainer {

    /**
     * Trains from the request's global adapter and returns the trained adapter.
     *
     * @param listener told after every optimizer step
     * @param stop when raised, the trainer finishes the current step, checkpoints and returns a result with {@link
     *     LocalTrainingResult#interrupted()} set
     * @throws LocalTrainingException with the reason to report when training cannot produce an update
     */
    LocalTrainingResult train(LocalTrainingRequest request, TrainingProgressListener listener, StopSignal stop)
            throws LocalTrainingException;
}
