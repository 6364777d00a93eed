package io.fedtune.agent;

import io.fedtune.agent.train.LocalTrainer;
import io.fedtune.agent.train.LoraLocalTrainer;

/** The trainers the agent ships with. */
public final class LocalTrainers {

    private LocalTrainers() {}

    /** LoRA, FFA-LoRA and prompt tuning with lora-trainer (DJL); each call gives a trainer with its own model cache. */
    public static LocalTrainer lora() {
        return new LoraLocalTrainer();
    }
}
