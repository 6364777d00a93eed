package io.fedtune.launcher.demo;

import io.fedtune.protocol.api.Architecture;
import io.fedtune.protocol.api.ModelDims;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The shape facts of a Hugging Face checkpoint that a federation's config needs ({@link ModelDims}), read from its
 * {@code config.json}, and the LoRA targets the demo uses for its architecture.
 */
final class CheckpointDims {

    private static final Set<String> LLAMA_FAMILY = Set.of("llama", "mistral", "qwen2");

    private CheckpointDims() {}

    /** Reads {@code modelDirectory/config.json}; a missing, malformed or unsupported config is a user error. */
    static ModelDims read(Path modelDirectory) {
        Path config = modelDirectory.resolve("config.json");
        if (!Files.isRegularFile(config)) {
            throw new DemoInputException("--model " + modelDirectory
                    + " has no config.json; give a Hugging Face checkpoint directory"
                    + " (config.json, model.safetensors, tokenizer.json)");
        }
        JsonNode node;
        try {
            node = JsonMapper.builder().build().readTree(config.toFile());
        } catch (JacksonException e) {
            throw new DemoInputException(config + ": not valid JSON (" + e.getOriginalMessage() + ")");
        }
        String type = text(node, "model_type").toLowerCase(Locale.ROOT);
        if (LLAMA_FAMILY.contains(type)) {
            int heads = integer(node, config, "num_attention_heads");
            return new ModelDims(
                    Architecture.LLAMA,
                    integer(node, config, "hidden_size"),
                    integer(node, config, "intermediate_size"),
                    integer(node, config, "num_hidden_layers"),
                    heads,
                    node.has("num_key_value_heads") ? integer(node, config, "num_key_value_heads") : heads,
                    node.has("head_dim") && !node.get("head_dim").isNull() ? integer(node, config, "head_dim") : null);
        }
        if (type.equals("gpt2")) {
            int hidden = integer(node, config, "n_embd");
            int inner = node.has("n_inner") && !node.get("n_inner").isNull()
                    ? integer(node, config, "n_inner")
                    : 4 * hidden;
            int heads = integer(node, config, "n_head");
            return new ModelDims(
                    Architecture.GPT2, hidden, inner, integer(node, config, "n_layer"), heads, heads, null);
        }
        throw new DemoInputException(config + ": model_type '" + type
                + "' is not supported; fedtune trains llama, mistral, qwen2 and gpt2 checkpoints");
    }

    /** LoRA targets for the architecture when the plan names none: attention and MLP projections. */
    static List<String> defaultTargets(Architecture architecture) {
        return architecture == Architecture.LLAMA
                ? List.of("q_proj", "v_proj", "o_proj", "up_proj", "down_proj")
                : List.of("c_attn", "c_proj", "c_fc");
    }

    private static String text(JsonNode node, String field) {
        JsonNode value = node.get(field);
        return value == null || !value.isString() ? "" : value.asString();
    }

    private static int integer(JsonNode node, Path config, String field) {
        JsonNode value = node.get(field);
        if (value == null || !value.isIntegralNumber() || value.asInt() <= 0) {
            throw new DemoInputException(config + ": " + field + " must be a positive integer");
        }
        return value.asInt();
    }
}
