package io.fedtune.protocol.peft;

/** Which of a LoRA pair a tensor is: {@code A} (rank × in, applied first) or {@code B} (out × rank). */
public enum LoraMatrix {
    /** The down projection, shape {@code [r, in_features]}. */
    A("lora_A"),
    /** The up projection, shape {@code [out_features, r]}, zero at initialisation. */
    B("lora_B");

    private final String segment;

    LoraMatrix(String segment) {
        this.segment = segment;
    }

    /** The key segment PEFT uses: {@code lora_A} or {@code lora_B}. */
    public String segment() {
        return segment;
    }
}
