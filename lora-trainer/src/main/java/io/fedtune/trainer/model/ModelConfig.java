package io.fedtune.trainer.model;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * The shape of a decoder, read from a Hugging Face {@code config.json}: everything the forward pass needs.
 *
 * @param architecture the decoder family
 * @param vocabSize rows of the embedding and of the output projection
 * @param hidden the model width ({@code hidden_size}, GPT-2's {@code n_embd})
 * @param layers decoder blocks
 * @param heads query heads
 * @param kvHeads key/value heads (grouped-query attention when fewer than {@code heads})
 * @param headDim width of one head ({@code head_dim}, by default {@code hidden / heads})
 * @param intermediate width of the MLP
 * @param maxPositions the context length
 * @param ropeTheta RoPE base ({@code rope_theta}); unused by GPT-2
 * @param normEps epsilon of RMSNorm or LayerNorm
 * @param tieEmbeddings whether the output projection is the embedding matrix
 * @param attentionBias whether q/k/v (and, for Llama and Mistral, o) projections have a bias
 * @param bosTokenId beginning-of-sequence id, or -1
 * @param eosTokenId end-of-sequence id, or -1
 */
public record ModelConfig(
        Architecture architecture,
        int vocabSize,
        int hidden,
        int layers,
        int heads,
        int kvHeads,
        int headDim,
        int intermediate,
        int maxPositions,
        double ropeTheta,
        double normEps,
        boolean tieEmbeddings,
        boolean attentionBias,
        int bosTokenId,
        int eosTokenId) {

    public ModelConfig {
        if (architecture == null) {
            throw new IllegalArgumentException("architecture is required");
        }
        requirePositive("vocabSize", vocabSize);
        requirePositive("hidden", hidden);
        requirePositive("layers", layers);
        requirePositive("heads", heads);
        requirePositive("kvHeads", kvHeads);
        requirePositive("headDim", headDim);
        requirePositive("intermediate", intermediate);
        requirePositive("maxPositions", maxPositions);
        if (heads % kvHeads != 0) {
            throw new IllegalArgumentException("heads (" + heads + ") must be a multiple of kvHeads (" + kvHeads + ")");
        }
        if (architecture == Architecture.GPT2 && (kvHeads != heads || headDim * heads != hidden)) {
            throw new IllegalArgumentException("GPT-2 needs kvHeads == heads and headDim * heads == hidden");
        }
        if (architecture.isLlamaFamily() && headDim % 2 != 0) {
            throw new IllegalArgumentException("headDim must be even for RoPE, got " + headDim);
        }
    }

    private static void requirePositive(String name, int value) {
        if (value <= 0) {
            throw new IllegalArgumentException(name + " must be positive, got " + value);
        }
    }

    /** Width of the query projection's output, {@code heads * headDim}. */
    public int queryDim() {
        return heads * headDim;
    }

    /** Width of the key (and value) projection's output, {@code kvHeads * headDim}. */
    public int kvDim() {
        return kvHeads * headDim;
    }

    /**
     * Reads a Hugging Face {@code config.json}.
     *
     * @throws ModelLoadException naming the file and the field when it is missing, malformed, or describes an
     *     architecture fedtune does not support
     * @throws UncheckedIOException when the file cannot be read
     */
    public static ModelConfig read(Path configJson) {
        String text;
        try {
            text = Files.readString(configJson, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new ModelLoadException(
                    configJson + ": no such file (a Hugging Face model directory has config.json)");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + configJson, e);
        }
        JsonObject json;
        try {
            JsonElement parsed = JsonParser.parseString(text);
            if (!parsed.isJsonObject()) {
                throw new ModelLoadException(configJson + ": expected a JSON object");
            }
            json = parsed.getAsJsonObject();
        } catch (JsonParseException e) {
            throw new ModelLoadException(configJson + ": malformed JSON: " + e.getMessage(), e);
        }
        return parse(json, configJson.toString());
    }

    /** Parses the content of a {@code config.json}; {@code source} names it in errors. */
    public static ModelConfig parse(JsonObject json, String source) {
        Architecture architecture = architectureOf(json, source);
        Fields f = new Fields(json, source);
        try {
            if (architecture == Architecture.GPT2) {
                int hidden = f.integer("n_embd");
                int heads = f.integer("n_head");
                Integer inner = f.optInteger("n_inner");
                return new ModelConfig(
                        architecture,
                        f.integer("vocab_size"),
                        hidden,
                        f.integer("n_layer"),
                        heads,
                        heads,
                        hidden / heads,
                        inner == null ? 4 * hidden : inner,
                        f.integer("n_positions"),
                        0,
                        f.optDouble("layer_norm_epsilon", 1e-5),
                        f.optBoolean("tie_word_embeddings", true),
                        true,
                        f.optTokenId("bos_token_id"),
                        f.optTokenId("eos_token_id"));
            }
            JsonElement scaling = json.get("rope_scaling");
            if (scaling != null && !scaling.isJsonNull()) {
                String type = scaling.isJsonObject()
                                && scaling.getAsJsonObject().has("rope_type")
                        ? scaling.getAsJsonObject().get("rope_type").getAsString()
                        : scaling.isJsonObject() && scaling.getAsJsonObject().has("type")
                                ? scaling.getAsJsonObject().get("type").getAsString()
                                : String.valueOf(scaling);
                if (!"default".equals(type)) {
                    throw new ModelLoadException(source + ": rope_scaling of type '" + type
                            + "' is not supported (only plain RoPE with rope_theta)");
                }
            }
            if (f.optBoolean("mlp_bias", false)) {
                throw new ModelLoadException(source + ": mlp_bias = true is not supported");
            }
            int hidden = f.integer("hidden_size");
            int heads = f.integer("num_attention_heads");
            Integer kvHeads = f.optInteger("num_key_value_heads");
            Integer headDim = f.optInteger("head_dim");
            boolean bias = architecture == Architecture.QWEN2 || f.optBoolean("attention_bias", false);
            return new ModelConfig(
                    architecture,
                    f.integer("vocab_size"),
                    hidden,
                    f.integer("num_hidden_layers"),
                    heads,
                    kvHeads == null ? heads : kvHeads,
                    headDim == null ? hidden / heads : headDim,
                    f.integer("intermediate_size"),
                    f.optInteger("max_position_embeddings") == null ? 2048 : f.integer("max_position_embeddings"),
                    f.optDouble("rope_theta", 10000.0),
                    f.optDouble("rms_norm_eps", 1e-6),
                    f.optBoolean("tie_word_embeddings", false),
                    bias,
                    f.optTokenId("bos_token_id"),
                    f.optTokenId("eos_token_id"));
        } catch (IllegalArgumentException e) {
            throw new ModelLoadException(source + ": " + e.getMessage(), e);
        }
    }

    private static Architecture architectureOf(JsonObject json, String source) {
        JsonElement archs = json.get("architectures");
        if (archs != null && archs.isJsonArray() && !archs.getAsJsonArray().isEmpty()) {
            String name = archs.getAsJsonArray().get(0).getAsString();
            return Architecture.fromClassName(name)
                    .orElseThrow(() -> new ModelLoadException(source + ": architecture '" + name
                            + "' is not supported; fedtune loads " + Architecture.supportedNames()));
        }
        JsonElement type = json.get("model_type");
        if (type != null && type.isJsonPrimitive()) {
            String name = type.getAsString();
            return Architecture.fromModelType(name)
                    .orElseThrow(() -> new ModelLoadException(source + ": model_type '" + name
                            + "' is not supported; fedtune loads " + Architecture.supportedNames()));
        }
        throw new ModelLoadException(source + ": neither 'architectures' nor 'model_type' says what the model is");
    }

    /** Typed access to config fields with errors naming the file and the field. */
    private record Fields(JsonObject json, String source) {
        int integer(String name) {
            Integer value = optInteger(name);
            if (value == null) {
                throw new ModelLoadException(source + ": field '" + name + "' is missing");
            }
            return value;
        }

        Integer optInteger(String name) {
            JsonElement e = json.get(name);
            if (e == null || e.isJsonNull()) {
                return null;
            }
            try {
                double d = e.getAsDouble();
                if (d != Math.rint(d) || Math.abs(d) > Integer.MAX_VALUE) {
                    throw new ModelLoadException(source + ": field '" + name + "' must be an integer, got " + e);
                }
                return (int) d;
            } catch (UnsupportedOperationException | NumberFormatException | IllegalStateException ex) {
                throw new ModelLoadException(source + ": field '" + name + "' must be an integer, got " + e);
            }
        }

        double optDouble(String name, double fallback) {
            JsonElement e = json.get(name);
            if (e == null || e.isJsonNull()) {
                return fallback;
            }
            try {
                return e.getAsDouble();
            } catch (UnsupportedOperationException | NumberFormatException | IllegalStateException ex) {
                throw new ModelLoadException(source + ": field '" + name + "' must be a number, got " + e);
            }
        }

        boolean optBoolean(String name, boolean fallback) {
            JsonElement e = json.get(name);
            if (e == null || e.isJsonNull()) {
                return fallback;
            }
            if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isBoolean()) {
                throw new ModelLoadException(source + ": field '" + name + "' must be true or false, got " + e);
            }
            return e.getAsBoolean();
        }

        /** A token id, or the first of a list of them (Llama 3 lists several eos ids); -1 when absent. */
        int optTokenId(String name) {
            JsonElement e = json.get(name);
            if (e != null && e.isJsonArray()) {
                return e.getAsJsonArray().isEmpty()
                        ? -1
                        : e.getAsJsonArray().get(0).getAsInt();
            }
            Integer value = optInteger(name);
            return value == null ? -1 : value;
        }
    }
}
