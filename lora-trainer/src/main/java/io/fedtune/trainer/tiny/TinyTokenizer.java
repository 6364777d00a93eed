package io.fedtune.trainer.tiny;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import io.fedtune.trainer.model.Architecture;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A byte-level BPE tokenizer in Hugging Face {@code tokenizer.json} form, trained deterministically on a small built-in
 * English text: ids 0–255 are the bytes (in GPT-2's byte-to-unicode alphabet), then the special tokens, then merges.
 */
final class TinyTokenizer {
    static final int MIN_VOCAB = 260;
    private static final Pattern PRE_TOKENIZER =
            Pattern.compile("'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+");
    private static final String CORPUS = """
            Federated learning trains a shared model while the data stays where it is. Each client fine-tunes a small
            adapter on its own examples and sends only the adapter back. The server averages the adapters and starts
            the next round. The model learns from everyone, and nobody sees anybody else's data.
            Question: What is the capital of France? Answer: The capital of France is Paris.
            Question: What is two plus two? Answer: Two plus two is four.
            Question: What colour is the sky? Answer: The sky is blue on a clear day.
            Instruction: Translate the sentence into French. Input: The cat sleeps. Response: Le chat dort.
            Instruction: Summarise the text. Input: The meeting moved to Monday. Response: The meeting is on Monday.
            The quick brown fox jumps over the lazy dog. A small model is fast to train and easy to test.
            The user asked the assistant a question and the assistant gave a short and helpful answer.
            Low-rank adaptation freezes the base weights and learns two thin matrices for each projection.
            In the morning the team reviewed the results; in the evening they shipped the new version.
            Numbers like 1, 2, 3, 10, 42 and 2026 appear in text too, as do names such as Alice and Bob.
            """;

    private TinyTokenizer() {}

    static List<String> specialTokens(Architecture architecture) {
        return switch (architecture) {
            case LLAMA, MISTRAL -> List.of("<s>", "</s>");
            case QWEN2 -> List.of("<|endoftext|>", "<|im_start|>", "<|im_end|>");
            case GPT2 -> List.of("<|endoftext|>");
        };
    }

    /** GPT-2's reversible byte → printable character map. */
    static char[] byteAlphabet() {
        char[] map = new char[256];
        int extra = 0;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            map[b] = printable ? (char) b : (char) (256 + extra++);
        }
        return map;
    }

    /** The tokenizer.json text for a vocabulary of at most {@code vocabSize} ids. */
    static String tokenizerJson(Architecture architecture, int vocabSize) {
        char[] alphabet = byteAlphabet();
        List<String> specials = specialTokens(architecture);
        Map<String, Integer> vocab = new LinkedHashMap<>();
        for (int b = 0; b < 256; b++) {
            vocab.put(String.valueOf(alphabet[b]), b);
        }
        for (String s : specials) {
            vocab.put(s, vocab.size());
        }
        List<String[]> merges = train(alphabet, vocabSize - vocab.size());
        for (String[] m : merges) {
            vocab.putIfAbsent(m[0] + m[1], vocab.size());
        }

        JsonObject json = new JsonObject();
        json.addProperty("version", "1.0");
        json.add("truncation", JsonNull.INSTANCE);
        json.add("padding", JsonNull.INSTANCE);
        JsonArray added = new JsonArray();
        for (String s : specials) {
            JsonObject token = new JsonObject();
            token.addProperty("id", vocab.get(s));
            token.addProperty("content", s);
            token.addProperty("single_word", false);
            token.addProperty("lstrip", false);
            token.addProperty("rstrip", false);
            token.addProperty("normalized", false);
            token.addProperty("special", true);
            added.add(token);
        }
        json.add("added_tokens", added);
        json.add("normalizer", JsonNull.INSTANCE);
        json.add("pre_tokenizer", byteLevel(false));
        json.add("post_processor", byteLevel(false));
        json.add("decoder", byteLevel(false));
        JsonObject model = new JsonObject();
        model.addProperty("type", "BPE");
        model.add("dropout", JsonNull.INSTANCE);
        model.add("unk_token", JsonNull.INSTANCE);
        model.addProperty("continuing_subword_prefix", "");
        model.addProperty("end_of_word_suffix", "");
        model.addProperty("fuse_unk", false);
        model.addProperty("byte_fallback", false);
        model.addProperty("ignore_merges", false);
        JsonObject vocabJson = new JsonObject();
        vocab.forEach(vocabJson::addProperty);
        model.add("vocab", vocabJson);
        JsonArray mergeJson = new JsonArray();
        merges.forEach(m -> mergeJson.add(m[0] + " " + m[1]));
        model.add("merges", mergeJson);
        json.add("model", model);
        return new GsonBuilder()
                        .setPrettyPrinting()
                        .serializeNulls()
                        .disableHtmlEscaping()
                        .create()
                        .toJson(json) + "\n";
    }

    private static JsonObject byteLevel(boolean addPrefixSpace) {
        JsonObject o = new JsonObject();
        o.addProperty("type", "ByteLevel");
        o.addProperty("add_prefix_space", addPrefixSpace);
        o.addProperty("trim_offsets", true);
        o.addProperty("use_regex", true);
        return o;
    }

    /** Learns up to {@code count} merges from the built-in corpus, most frequent pair first, ties by text. */
    private static List<String[]> train(char[] alphabet, int count) {
        Map<String, Integer> wordCounts = new LinkedHashMap<>();
        Matcher m = PRE_TOKENIZER.matcher(CORPUS.replace('\n', ' '));
        while (m.find()) {
            StringBuilder mapped = new StringBuilder();
            for (byte b : m.group().getBytes(StandardCharsets.UTF_8)) {
                mapped.append(alphabet[b & 0xff]);
            }
            wordCounts.merge(mapped.toString(), 1, Integer::sum);
        }
        List<List<String>> words = new ArrayList<>();
        List<Integer> freqs = new ArrayList<>();
        wordCounts.forEach((w, c) -> {
            List<String> symbols = new ArrayList<>();
            w.codePoints().forEach(cp -> symbols.add(new String(Character.toChars(cp))));
            words.add(symbols);
            freqs.add(c);
        });
        List<String[]> merges = new ArrayList<>();
        while (merges.size() < count) {
            Map<String, Integer> pairs = new HashMap<>();
            for (int w = 0; w < words.size(); w++) {
                List<String> s = words.get(w);
                for (int i = 0; i + 1 < s.size(); i++) {
                    pairs.merge(s.get(i) + " " + s.get(i + 1), freqs.get(w), Integer::sum);
                }
            }
            String best = null;
            int bestCount = 1;
            for (Map.Entry<String, Integer> e : pairs.entrySet()) {
                if (e.getValue() > bestCount
                        || (e.getValue() == bestCount
                                && best != null
                                && e.getKey().compareTo(best) < 0)) {
                    best = e.getKey();
                    bestCount = e.getValue();
                }
            }
            if (best == null) {
                break;
            }
            String[] pair = best.split(" ", 2);
            merges.add(pair);
            String joined = pair[0] + pair[1];
            for (List<String> s : words) {
                for (int i = 0; i + 1 < s.size(); i++) {
                    if (s.get(i).equals(pair[0]) && s.get(i + 1).equals(pair[1])) {
                        s.set(i, joined);
                        s.remove(i + 1);
                    }
                }
            }
        }
        return merges;
    }
}
