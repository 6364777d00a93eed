package io.fedtune.protocol.peft;

import java.util.Objects;

/**
 * Tensor names as Hugging Face PEFT saves adapters ({@code adapter_model.safetensors}), so any fedtune adapter loads in
 * PEFT or vLLM: {@code base_model.model.<module path>.lora_A.weight} and {@code ....lora_B.weight} for LoRA, and
 * {@code prompt_embeddings} for prompt tuning.
 */
public final class PeftKeys {

    /** What every saved LoRA key starts with. */
    public static final String PREFIX = "base_model.model.";

    /** The one key of a saved prompt-tuning adapter: the virtual tokens' embeddings, {@code [tokens, hidden]}. */
    public static final String PROMPT_EMBEDDINGS = "prompt_embeddings";

    private static final String WEIGHT = ".weight";

    private PeftKeys() {}

    /** {@code base_model.model.<modulePath>.lora_A.weight}. */
    public static String loraA(String modulePath) {
        return key(modulePath, LoraMatrix.A);
    }

    /** {@code base_model.model.<modulePath>.lora_B.weight}. */
    public static String loraB(String modulePath) {
        return key(modulePath, LoraMatrix.B);
    }

    /** The key of {@code matrix} for the module at {@code modulePath}. */
    public static String key(String modulePath, LoraMatrix matrix) {
        requireModulePath(modulePath);
        return PREFIX + modulePath + "." + matrix.segment() + WEIGHT;
    }

    /** Whether {@code key} is a well-formed LoRA key. */
    public static boolean isLoraKey(String key) {
        try {
            parse(key);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    /** Whether {@code key} is the prompt-tuning key. */
    public static boolean isPromptEmbeddings(String key) {
        return PROMPT_EMBEDDINGS.equals(key);
    }

    /**
     * Splits a saved LoRA key into module path and matrix.
     *
     * @throws IllegalArgumentException saying what is wrong with the key and what was expected
     */
    public static LoraKey parse(String key) {
        Objects.requireNonNull(key, "key");
        String expected = "; expected " + PREFIX + "<module path>.lora_A.weight or .lora_B.weight";
        if (!key.startsWith(PREFIX)) {
            throw new IllegalArgumentException(
                    "malformed PEFT key '" + key + "': it must start with '" + PREFIX + "'" + expected);
        }
        if (!key.endsWith(WEIGHT)) {
            throw new IllegalArgumentException(
                    "malformed PEFT key '" + key + "': it must end with '" + WEIGHT + "'" + expected);
        }
        String body = key.substring(PREFIX.length(), key.length() - WEIGHT.length());
        int lastDot = body.lastIndexOf('.');
        String segment = body.substring(lastDot + 1);
        LoraMatrix matrix = matrixOf(segment);
        if (matrix == null) {
            int previousDot = lastDot > 0 ? body.lastIndexOf('.', lastDot - 1) : -1;
            String before = lastDot > 0 ? body.substring(previousDot + 1, lastDot) : "";
            if (matrixOf(before) != null) {
                throw new IllegalArgumentException("malformed PEFT key '" + key + "': it names adapter '" + segment
                        + "' after " + before + ", which saved adapters omit" + expected);
            }
            throw new IllegalArgumentException(
                    "malformed PEFT key '" + key + "': no lora_A or lora_B before '.weight'" + expected);
        }
        if (lastDot <= 0) {
            throw new IllegalArgumentException("malformed PEFT key '" + key + "': it has no module path" + expected);
        }
        String modulePath = body.substring(0, lastDot);
        String problem = modulePathProblem(modulePath);
        if (problem != null) {
            throw new IllegalArgumentException("malformed PEFT key '" + key + "': " + problem + expected);
        }
        return new LoraKey(modulePath, matrix);
    }

    /** The module path of a saved LoRA key; see {@link #parse(String)}. */
    public static String modulePath(String key) {
        return parse(key).modulePath();
    }

    /** The last segment of a module path, as {@code target_modules} names it. */
    public static String targetName(String modulePath) {
        requireModulePath(modulePath);
        return modulePath.substring(modulePath.lastIndexOf('.') + 1);
    }

    /**
     * Checks a module path: dot-separated non-empty segments of letters, digits and underscores.
     *
     * @throws IllegalArgumentException naming the problem
     */
    public static String requireModulePath(String modulePath) {
        String problem = modulePathProblem(modulePath);
        if (problem != null) {
            throw new IllegalArgumentException(problem);
        }
        return modulePath;
    }

    private static String modulePathProblem(String modulePath) {
        if (modulePath == null || modulePath.isEmpty()) {
            return "module path is empty";
        }
        String[] segments = modulePath.split("\\.", -1);
        for (String segment : segments) {
            if (segment.isEmpty()) {
                return "module path '" + modulePath + "' has an empty segment";
            }
            for (int i = 0; i < segment.length(); i++) {
                char c = segment.charAt(i);
                if (!(c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))) {
                    return "module path '" + modulePath + "' has character '" + c + "' in segment '" + segment
                            + "' (letters, digits and '_' only)";
                }
            }
            if (matrixOf(segment) != null) {
                return "module path '" + modulePath + "' contains '" + segment + "', which only ends a LoRA key";
            }
        }
        return null;
    }

    private static LoraMatrix matrixOf(String segment) {
        for (LoraMatrix matrix : LoraMatrix.values()) {
            if (matrix.segment().equals(segment)) {
                return matrix;
            }
        }
        return null;
    }
}
