package io.fedtune.trainer.model;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;

/** The decoder families fedtune can load, with the names Hugging Face gives them in {@code config.json}. */
public enum Architecture {
    LLAMA("LlamaForCausalLM", "llama"),
    MISTRAL("MistralForCausalLM", "mistral"),
    QWEN2("Qwen2ForCausalLM", "qwen2"),
    GPT2("GPT2LMHeadModel", "gpt2");

    private final String className;
    private final String modelType;

    Architecture(String className, String modelType) {
        this.className = className;
        this.modelType = modelType;
    }

    /** The class name in {@code config.json}'s {@code architectures} list, such as {@code LlamaForCausalLM}. */
    public String className() {
        return className;
    }

    /** The {@code model_type} in {@code config.json}, such as {@code llama}. */
    public String modelType() {
        return modelType;
    }

    /** Whether this is a LLaMA-family decoder (RMSNorm, RoPE, SwiGLU). */
    public boolean isLlamaFamily() {
        return this != GPT2;
    }

    public static Optional<Architecture> fromClassName(String name) {
        return Arrays.stream(values()).filter(a -> a.className.equals(name)).findFirst();
    }

    public static Optional<Architecture> fromModelType(String type) {
        String lower = type.toLowerCase(Locale.ROOT);
        return Arrays.stream(values()).filter(a -> a.modelType.equals(lower)).findFirst();
    }

    static String supportedNames() {
        return String.join(
                ", ", Arrays.stream(values()).map(Architecture::className).toList());
    }
}
