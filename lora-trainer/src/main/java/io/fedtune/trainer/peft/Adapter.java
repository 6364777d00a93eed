package io.fedtune.trainer.peft;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import io.fedtune.protocol.peft.LoraKey;
import io.fedtune.protocol.peft.LoraMatrix;
import io.fedtune.protocol.peft.PeftKeys;
import io.fedtune.protocol.safetensors.FloatTensor;
import io.fedtune.protocol.safetensors.SafetensorsFile;
import io.fedtune.protocol.safetensors.SafetensorsFormatException;
import io.fedtune.protocol.safetensors.SafetensorsWriter;
import io.fedtune.protocol.safetensors.TensorInfo;
import io.fedtune.trainer.support.AtomicDirectory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * A trained adapter on the heap, in Hugging Face PEFT layout: tensors named as PEFT names them ({@code
 * base_model.model.<module path>.lora_A.weight}, {@code …lora_B.weight}, or {@code prompt_embeddings}) and the
 * {@link PeftConfig} that made them.
 *
 * <p>On disk an adapter is a directory with {@code adapter_config.json} and {@code adapter_model.safetensors}, which
 * {@code PeftModel.from_pretrained(base, dir)} opens and vLLM serves with {@code --lora-modules name=dir}. FFA-LoRA
 * adapters are plain LoRA adapters to PEFT; fedtune records the kind and the shared seed in the safetensors metadata
 * ({@code fedtune.peft_kind}, {@code fedtune.shared_seed}), which PEFT ignores.
 */
public final class Adapter {
    public static final String CONFIG_FILE = "adapter_config.json";
    public static final String WEIGHTS_FILE = "adapter_model.safetensors";
    static final String META_KIND = "fedtune.peft_kind";
    static final String META_SEED = "fedtune.shared_seed";
    private static final Set<String> GPT2_TARGETS = Set.of("c_attn", "c_proj", "c_fc");
    private static final Gson GSON =
            new GsonBuilder().setPrettyPrinting().serializeNulls().create();

    private final PeftConfig config;
    private final Map<String, FloatTensor> tensors;

    /**
     * @throws AdapterFormatException when a tensor name is not a PEFT name for this kind, a LoRA pair is incomplete or
     *     has a rank other than the config's, or a value is not finite
     */
    public Adapter(PeftConfig config, Map<String, FloatTensor> tensors) {
        this.config = config;
        this.tensors = java.util.Collections.unmodifiableMap(new TreeMap<>(tensors));
        validate("adapter");
    }

    public PeftConfig config() {
        return config;
    }

    /** PEFT key → tensor, sorted by key. */
    public Map<String, FloatTensor> tensors() {
        return tensors;
    }

    /** Elements across all tensors. */
    public long parameterCount() {
        long n = 0;
        for (FloatTensor t : tensors.values()) {
            n += t.size();
        }
        return n;
    }

    private void validate(String source) {
        if (tensors.isEmpty()) {
            throw new AdapterFormatException(source + ": no tensors");
        }
        for (Map.Entry<String, FloatTensor> e : tensors.entrySet()) {
            String key = e.getKey();
            FloatTensor t = e.getValue();
            for (float v : t.values()) {
                if (!Float.isFinite(v)) {
                    throw new AdapterFormatException(source + ": tensor '" + key + "' holds " + v);
                }
            }
            if (config.kind() == PeftKind.PROMPT_TUNING) {
                if (!PeftKeys.isPromptEmbeddings(key)) {
                    throw new AdapterFormatException(
                            source + ": unexpected tensor '" + key + "' in a prompt-tuning adapter");
                }
                if (t.shape().length != 2 || t.shape()[0] != config.virtualTokens()) {
                    throw new AdapterFormatException(source + ": '" + key + "' has shape " + Arrays.toString(t.shape())
                            + ", expected [" + config.virtualTokens() + ", hidden]");
                }
                continue;
            }
            LoraKey parsed;
            try {
                parsed = PeftKeys.parse(key);
            } catch (IllegalArgumentException ex) {
                throw new AdapterFormatException(source + ": " + ex.getMessage(), ex);
            }
            if (!tensors.containsKey(parsed.partner().key())) {
                throw new AdapterFormatException(source + ": '" + key + "' has no partner '"
                        + parsed.partner().key() + "'");
            }
            long[] shape = t.shape();
            int rankAxis = parsed.matrix() == LoraMatrix.A ? 0 : 1;
            if (shape.length != 2 || shape[rankAxis] != config.rank()) {
                throw new AdapterFormatException(source + ": '" + key + "' has shape " + Arrays.toString(shape)
                        + ", expected rank " + config.rank() + " on axis " + rankAxis);
            }
        }
    }

    /**
     * Reads an adapter directory.
     *
     * @throws AdapterFormatException naming the file and the problem when a file is missing or malformed
     */
    public static Adapter read(Path adapterDir) {
        Path configFile = adapterDir.resolve(CONFIG_FILE);
        Path weightsFile = adapterDir.resolve(WEIGHTS_FILE);
        JsonObject json;
        try {
            json = JsonParser.parseString(Files.readString(configFile, StandardCharsets.UTF_8))
                    .getAsJsonObject();
        } catch (NoSuchFileException e) {
            throw new AdapterFormatException(configFile + ": no such file (a PEFT adapter directory has " + CONFIG_FILE
                    + " and " + WEIGHTS_FILE + ")");
        } catch (JsonParseException | IllegalStateException e) {
            throw new AdapterFormatException(configFile + ": malformed JSON: " + e.getMessage(), e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + configFile, e);
        }
        Map<String, FloatTensor> tensors = new HashMap<>();
        Map<String, String> metadata;
        try (SafetensorsFile file = SafetensorsFile.open(weightsFile)) {
            metadata = file.metadata();
            for (TensorInfo info : file.tensors()) {
                if (!info.dtype().isFloatingPoint()) {
                    throw new AdapterFormatException(weightsFile + ": tensor '" + info.name() + "' is "
                            + info.dtype().wireName() + ", expected a floating-point type");
                }
                tensors.put(info.name(), new FloatTensor(info.shape(), file.readFloats(info)));
            }
        } catch (NoSuchFileException e) {
            throw new AdapterFormatException(weightsFile + ": no such file");
        } catch (SafetensorsFormatException e) {
            throw new AdapterFormatException(weightsFile + ": " + e.getMessage(), e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + weightsFile, e);
        }
        PeftConfig config;
        try {
            config = parseConfig(json, metadata);
        } catch (IllegalArgumentException | IllegalStateException | UnsupportedOperationException e) {
            throw new AdapterFormatException(configFile + ": " + e.getMessage(), e);
        }
        Adapter adapter = new Adapter(config, tensors, true);
        adapter.validate(weightsFile.toString());
        return adapter;
    }

    private Adapter(PeftConfig config, Map<String, FloatTensor> tensors, boolean unchecked) {
        this.config = config;
        this.tensors = java.util.Collections.unmodifiableMap(new TreeMap<>(tensors));
    }

    private static PeftConfig parseConfig(JsonObject json, Map<String, String> metadata) {
        String type = string(json, "peft_type");
        if (type == null) {
            throw new IllegalArgumentException("field 'peft_type' is missing");
        }
        long seed = metadata.containsKey(META_SEED) ? Long.parseLong(metadata.get(META_SEED)) : 0L;
        switch (type.toUpperCase(Locale.ROOT)) {
            case "LORA" -> {
                JsonElement targets = json.get("target_modules");
                if (targets == null || !targets.isJsonArray()) {
                    throw new IllegalArgumentException(
                            "'target_modules' must be a list of module names (regular expressions are not supported)");
                }
                List<String> names = new ArrayList<>();
                targets.getAsJsonArray().forEach(e -> names.add(e.getAsString()));
                PeftKind kind = PeftKind.valueOf(metadata.getOrDefault(META_KIND, "LORA"));
                if (!kind.isLora()) {
                    throw new IllegalArgumentException("metadata says " + kind + " but peft_type is LORA");
                }
                return new PeftConfig(
                        kind,
                        intField(json, "r"),
                        number(json, "lora_alpha", 8),
                        number(json, "lora_dropout", 0),
                        json.has("use_rslora") && json.get("use_rslora").getAsBoolean(),
                        names,
                        0,
                        null,
                        seed);
            }
            case "PROMPT_TUNING" -> {
                return new PeftConfig(
                        PeftKind.PROMPT_TUNING,
                        0,
                        0,
                        0,
                        false,
                        List.of(),
                        intField(json, "num_virtual_tokens"),
                        string(json, "prompt_tuning_init_text"),
                        seed);
            }
            default ->
                throw new IllegalArgumentException("peft_type '" + type + "' is not supported (LORA or PROMPT_TUNING)");
        }
    }

    private static String string(JsonObject json, String field) {
        JsonElement e = json.get(field);
        return e == null || e.isJsonNull() ? null : e.getAsString();
    }

    private static int intField(JsonObject json, String field) {
        JsonElement e = json.get(field);
        if (e == null || e.isJsonNull()) {
            throw new IllegalArgumentException("field '" + field + "' is missing");
        }
        return e.getAsInt();
    }

    private static double number(JsonObject json, String field, double fallback) {
        JsonElement e = json.get(field);
        return e == null || e.isJsonNull() ? fallback : e.getAsDouble();
    }

    /** The {@code adapter_config.json} PEFT expects for this adapter. */
    public String configJson(String baseModelNameOrPath) {
        JsonObject json = new JsonObject();
        json.addProperty("base_model_name_or_path", baseModelNameOrPath);
        json.addProperty("inference_mode", true);
        json.add("revision", JsonNull.INSTANCE);
        json.addProperty("task_type", "CAUSAL_LM");
        if (config.kind().isLora()) {
            json.addProperty("peft_type", "LORA");
            json.addProperty("r", config.rank());
            json.addProperty("lora_alpha", config.alpha());
            json.addProperty("lora_dropout", config.dropout());
            json.addProperty("use_rslora", config.rsLora());
            JsonArray targets = new JsonArray();
            config.targetModules().forEach(targets::add);
            json.add("target_modules", targets);
            json.addProperty("bias", "none");
            json.addProperty("fan_in_fan_out", config.targetModules().stream().anyMatch(GPT2_TARGETS::contains));
            json.addProperty("init_lora_weights", true);
            json.add("modules_to_save", JsonNull.INSTANCE);
            json.add("layers_to_transform", JsonNull.INSTANCE);
            json.addProperty("use_dora", false);
        } else {
            FloatTensor prompt = tensors.get(PeftKeys.PROMPT_EMBEDDINGS);
            json.addProperty("peft_type", "PROMPT_TUNING");
            json.addProperty("num_virtual_tokens", config.virtualTokens());
            json.addProperty("token_dim", prompt.shape()[1]);
            json.addProperty("num_transformer_submodules", 1);
            json.addProperty("prompt_tuning_init", config.promptInitText() == null ? "RANDOM" : "TEXT");
            if (config.promptInitText() != null) {
                json.addProperty("prompt_tuning_init_text", config.promptInitText());
                json.addProperty("tokenizer_name_or_path", baseModelNameOrPath);
            }
        }
        return GSON.toJson(json) + "\n";
    }

    /**
     * Writes {@code adapter_config.json} and {@code adapter_model.safetensors} into {@code adapterDir}, atomically: the
     * files are written into a fresh sibling directory that then replaces {@code adapterDir}; when this throws,
     * {@code adapterDir} is as it was.
     */
    public void write(Path adapterDir, String baseModelNameOrPath) {
        AtomicDirectory.replace(adapterDir, staging -> writeFiles(staging, baseModelNameOrPath));
    }

    /** Writes the two files into an existing directory (not atomically as a pair; see {@link #write}). */
    public void writeFiles(Path dir, String baseModelNameOrPath) throws IOException {
        Files.writeString(dir.resolve(CONFIG_FILE), configJson(baseModelNameOrPath), StandardCharsets.UTF_8);
        safetensors().writeTo(dir.resolve(WEIGHTS_FILE));
    }

    /** The adapter's safetensors body (F32, PEFT names, fedtune metadata). */
    public SafetensorsWriter safetensors() {
        SafetensorsWriter writer = new SafetensorsWriter().metadata("format", "pt");
        writer.metadata(META_KIND, config.kind().name());
        writer.metadata(META_SEED, Long.toString(config.sharedSeed()));
        tensors.forEach(writer::add);
        return writer;
    }
}
