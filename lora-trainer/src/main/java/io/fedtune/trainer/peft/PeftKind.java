package io.fedtune.trainer.peft;

/** The parameter-efficient methods fedtune trains. */
public enum PeftKind {
    /** LoRA (Hu et al., arXiv 2106.09685): A and B train. */
    LORA,
    /**
     * FFA-LoRA (Sun et al., ICLR 2024, arXiv 2403.12313): A is frozen at an init every client derives from the shared
     * seed; only B trains, so averaging B across clients is exact.
     */
    FFA_LORA,
    /** Prompt tuning (Lester et al., arXiv 2104.08691): N trainable virtual-token embeddings before the input. */
    PROMPT_TUNING;

    public boolean isLora() {
        return this != PROMPT_TUNING;
    }
}
