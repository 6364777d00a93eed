package io.fedtune.trainer.text;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * A model's tokenizer: {@code tokenizer.json} through DJL's Hugging Face tokenizers, with the special tokens of
 * {@code tokenizer_config.json}. Encoding never adds special tokens; callers add BOS/EOS where a template wants them.
 */
public final class TextTokenizer implements AutoCloseable {
    private final HuggingFaceTokenizer tokenizer;
    private final int vocabSize;
    private final Map<String, Integer> specialIds;
    private final OptionalInt bos;
    private final OptionalInt eos;

    private TextTokenizer(
            HuggingFaceTokenizer tokenizer,
            int vocabSize,
            Map<String, Integer> specialIds,
            OptionalInt bos,
            OptionalInt eos) {
        this.tokenizer = tokenizer;
        this.vocabSize = vocabSize;
        this.specialIds = specialIds;
        this.bos = bos;
        this.eos = eos;
    }

    /**
     * Loads {@code tokenizer.json} (and {@code tokenizer_config.json} when present) from a model directory; empty when
     * the directory has no {@code tokenizer.json}.
     *
     * @throws IllegalArgumentException naming the file when it is malformed
     */
    public static Optional<TextTokenizer> load(Path modelDir) {
        Path file = modelDir.resolve("tokenizer.json");
        if (!Files.isRegularFile(file)) {
            return Optional.empty();
        }
        JsonObject json;
        try {
            json = JsonParser.parseString(Files.readString(file, StandardCharsets.UTF_8))
                    .getAsJsonObject();
        } catch (JsonParseException | IllegalStateException e) {
            throw new IllegalArgumentException(file + ": malformed tokenizer: " + e.getMessage(), e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
        Map<String, Integer> ids = new HashMap<>();
        int maxId = -1;
        JsonElement model = json.get("model");
        if (model != null && model.isJsonObject() && model.getAsJsonObject().get("vocab") instanceof JsonObject vocab) {
            for (Map.Entry<String, JsonElement> e : vocab.entrySet()) {
                maxId = Math.max(maxId, e.getValue().getAsInt());
            }
        }
        Map<String, Integer> specials = new HashMap<>();
        if (json.get("added_tokens") != null && json.get("added_tokens").isJsonArray()) {
            for (JsonElement e : json.getAsJsonArray("added_tokens")) {
                JsonObject token = e.getAsJsonObject();
                int id = token.get("id").getAsInt();
                specials.put(token.get("content").getAsString(), id);
                maxId = Math.max(maxId, id);
            }
        }
        ids.putAll(specials);
        Map<String, String> options = new HashMap<>();
        options.put("addSpecialTokens", "false");
        options.put("truncation", "false");
        options.put("padding", "false");
        options.put("maxLength", String.valueOf(Integer.MAX_VALUE));
        HuggingFaceTokenizer tokenizer;
        try {
            tokenizer = HuggingFaceTokenizer.newInstance(file, options);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot load " + file, e);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(
                    file + ": not a tokenizer Hugging Face tokenizers can load: " + e.getMessage(), e);
        }
        OptionalInt bos = OptionalInt.empty();
        OptionalInt eos = OptionalInt.empty();
        Path config = modelDir.resolve("tokenizer_config.json");
        if (Files.isRegularFile(config)) {
            try {
                JsonObject cfg = JsonParser.parseString(Files.readString(config, StandardCharsets.UTF_8))
                        .getAsJsonObject();
                bos = special(cfg, "bos_token", tokenizer, specials);
                eos = special(cfg, "eos_token", tokenizer, specials);
            } catch (JsonParseException | IllegalStateException e) {
                tokenizer.close();
                throw new IllegalArgumentException(config + ": malformed tokenizer config: " + e.getMessage(), e);
            } catch (IOException e) {
                tokenizer.close();
                throw new UncheckedIOException("cannot read " + config, e);
            }
        }
        return Optional.of(new TextTokenizer(tokenizer, maxId + 1, Map.copyOf(ids), bos, eos));
    }

    private static OptionalInt special(
            JsonObject cfg, String field, HuggingFaceTokenizer tokenizer, Map<String, Integer> specials) {
        JsonElement e = cfg.get(field);
        if (e == null || e.isJsonNull()) {
            return OptionalInt.empty();
        }
        String content = e.isJsonObject() ? e.getAsJsonObject().get("content").getAsString() : e.getAsString();
        Integer id = specials.get(content);
        if (id != null) {
            return OptionalInt.of(id);
        }
        long[] encoded = tokenizer.encode(content, false, false).getIds();
        return encoded.length == 1 ? OptionalInt.of((int) encoded[0]) : OptionalInt.empty();
    }

    /** Token ids of {@code text}, without special tokens. */
    public int[] encode(String text) {
        long[] ids = tokenizer.encode(text, false, false).getIds();
        int[] out = new int[ids.length];
        for (int i = 0; i < ids.length; i++) {
            out[i] = (int) ids[i];
        }
        return out;
    }

    /** The text of {@code ids}, special tokens skipped. */
    public String decode(int[] ids) {
        long[] longs = new long[ids.length];
        for (int i = 0; i < ids.length; i++) {
            longs[i] = ids[i];
        }
        return tokenizer.decode(longs, true);
    }

    /** One past the largest id the tokenizer can produce. */
    public int vocabSize() {
        return vocabSize;
    }

    public OptionalInt bosId() {
        return bos;
    }

    public OptionalInt eosId() {
        return eos;
    }

    /** The id of a special (added) token such as {@code <|im_end|>}, when the tokenizer has it. */
    public OptionalInt specialId(String content) {
        Integer id = specialIds.get(content);
        return id == null ? OptionalInt.empty() : OptionalInt.of(id);
    }

    @Override
    public void close() {
        tokenizer.close();
    }
}
