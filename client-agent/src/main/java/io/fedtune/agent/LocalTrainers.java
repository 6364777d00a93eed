package io.fedtune.agent;

import io.fedtune.agent.train.LocalTrainer;
import io.fedtune.agent.train.LocalTrainingException;
import io.fedtune.protocol.api.FailureReason;

/** The trainers the agent ships with. */
public final class LocalTrainers {

    private LocalTrainers() {}

    /** LoRA, FFA-LoRA and prompt tuning with lora-trainer (DJL). */
    public static LocalTrainer lora() {
        return (request, listener, stop) -> {
            throw new LocalTrainingException(
                    FailureReason.OTHER, "this build of the agent has no local trainer yet (lora-trainer pending)");
        };
    }
}
