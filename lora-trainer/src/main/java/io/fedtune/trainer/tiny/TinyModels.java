package io.fedtune.trainer.tiny;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import io.fedtune.protocol.safetensors.DType;
import io.fedtune.protocol.safetensors.SafetensorsWriter;
import io.fedtune.trainer.model.Architecture;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Writes random-weight checkpoints in Hugging Face layout ({@code config.json}, {@code model.safetensors},
 * {@code tokenizer.json}, {@code tokenizer_config.json}, {@code generation_config.json}) that both fedtune and
 * {@code transformers} load: for tests, demos and benchmarks.
 */
public final class TinyModels {
    private TinyModels() {}

    /** Writes the checkpoint into {@code dir} (created if needed) and returns {@code dir}. */
    public static Path write(Path dir, TinyModelSpec spec) {
        try {
            Files.createDirectories(dir);
            List<String> specials = TinyTokenizer.specialTokens(spec.architecture());
            int bos = 256;
            int eos = spec.architecture() == Architecture.LLAMA || spec.architecture() == Architecture.MISTRAL
                    ? 257
                    : 256;
            writeAtomically(dir.resolve("config.json"), configJson(spec, bos, eos));
            writeAtomically(dir.resolve("generation_config.json"), generationJson(bos, eos));
            writeAtomically(
                    dir.resolve("tokenizer.json"), TinyTokenizer.tokenizerJson(spec.architecture(), spec.vocabSize()));
            writeAtomically(
                    dir.resolve("tokenizer_config.json"),
                    tokenizerConfigJson(spec, specials.get(0), eos == 257 ? specials.get(1) : specials.get(0)));
            weights(spec).writeTo(dir.resolve("model.safetensors"));
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write tiny model to " + dir, e);
        }
    }

    private static void writeAtomically(Path target, String text) throws IOException {
        Path tmp = target.resolveSibling("." + target.getFileName() + ".tmp");
        Files.writeString(tmp, text, StandardCharsets.UTF_8);
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private static String json(JsonObject o) {
        return new GsonBuilder()
                        .setPrettyPrinting()
                        .disableHtmlEscaping()
                        .create()
                        .toJson(o) + "\n";
    }

    static String configJson(TinyModelSpec s, int bos, int eos) {
        JsonObject c = new JsonObject();
        JsonArray archs = new JsonArray();
        archs.add(s.architecture().className());
        c.add("architectures", archs);
        c.addProperty("model_type", s.architecture().modelType());
        c.addProperty("vocab_size", s.vocabSize());
        c.addProperty("bos_token_id", bos);
        c.addProperty("eos_token_id", eos);
        c.addProperty("tie_word_embeddings", s.tieEmbeddings());
        c.addProperty(
                "torch_dtype",
                switch (s.storedAs()) {
                    case BF16 -> "bfloat16";
                    case F16 -> "float16";
                    default -> "float32";
                });
        if (s.architecture() == Architecture.GPT2) {
            c.addProperty("n_embd", s.hidden());
            c.addProperty("n_layer", s.layers());
            c.addProperty("n_head", s.heads());
            c.addProperty("n_inner", s.intermediate());
            c.addProperty("n_positions", s.maxPositions());
            c.addProperty("n_ctx", s.maxPositions());
            c.addProperty("activation_function", "gelu_new");
            c.addProperty("layer_norm_epsilon", 1e-5);
            c.addProperty("resid_pdrop", 0.0);
            c.addProperty("embd_pdrop", 0.0);
            c.addProperty("attn_pdrop", 0.0);
        } else {
            c.addProperty("hidden_size", s.hidden());
            c.addProperty("num_hidden_layers", s.layers());
            c.addProperty("num_attention_heads", s.heads());
            c.addProperty("num_key_value_heads", s.kvHeads());
            c.addProperty("head_dim", s.hidden() / s.heads());
            c.addProperty("intermediate_size", s.intermediate());
            c.addProperty("max_position_embeddings", s.maxPositions());
            c.addProperty("rope_theta", s.architecture() == Architecture.QWEN2 ? 1000000.0 : 10000.0);
            c.addProperty("rms_norm_eps", 1e-6);
            c.addProperty("hidden_act", "silu");
            c.addProperty("attention_bias", s.attentionBias() && s.architecture() != Architecture.QWEN2);
            c.addProperty("attention_dropout", 0.0);
        }
        return json(c);
    }

    private static String generationJson(int bos, int eos) {
        JsonObject g = new JsonObject();
        g.addProperty("bos_token_id", bos);
        g.addProperty("eos_token_id", eos);
        return json(g);
    }

    private static String tokenizerConfigJson(TinyModelSpec s, String bos, String eos) {
        JsonObject t = new JsonObject();
        t.addProperty("tokenizer_class", "PreTrainedTokenizerFast");
        t.addProperty("bos_token", bos);
        t.addProperty("eos_token", eos);
        t.addProperty("model_max_length", s.maxPositions());
        t.addProperty("clean_up_tokenization_spaces", false);
        return json(t);
    }

    /** Random weights: N(0, 0.02) matrices (embeddings and output N(0, 1.6/√hidden), so a LoRA can move the logits over a useful range), norms 1 + N(0, 0.1), biases N(0, 0.02), in Hugging Face names and layout. */
    static SafetensorsWriter weights(TinyModelSpec s) {
        SafetensorsWriter w = new SafetensorsWriter().metadata("format", "pt");
        SplittableRandom random = new SplittableRandom(s.seed());
        DType dt = s.storedAs();
        int h = s.hidden();
        double outputStd = 1.6 / Math.sqrt(h);
        int inter = s.intermediate();
        if (s.architecture() == Architecture.GPT2) {
            String p = "transformer.";
            w.addFloats(
                    p + "wte.weight", dt, new long[] {s.vocabSize(), h}, normal(random, s.vocabSize() * h, outputStd));
            w.addFloats(
                    p + "wpe.weight", dt, new long[] {s.maxPositions(), h}, normal(random, s.maxPositions() * h, 0.01));
            for (int l = 0; l < s.layers(); l++) {
                String b = p + "h." + l + ".";
                w.addFloats(b + "ln_1.weight", dt, new long[] {h}, around(random, h, 1.0, 0.1));
                w.addFloats(b + "ln_1.bias", dt, new long[] {h}, normal(random, h, 0.02));
                w.addFloats(b + "attn.c_attn.weight", dt, new long[] {h, 3L * h}, normal(random, h * 3 * h, 0.02));
                w.addFloats(b + "attn.c_attn.bias", dt, new long[] {3L * h}, normal(random, 3 * h, 0.02));
                w.addFloats(b + "attn.c_proj.weight", dt, new long[] {h, h}, normal(random, h * h, 0.02));
                w.addFloats(b + "attn.c_proj.bias", dt, new long[] {h}, normal(random, h, 0.02));
                w.addFloats(b + "ln_2.weight", dt, new long[] {h}, around(random, h, 1.0, 0.1));
                w.addFloats(b + "ln_2.bias", dt, new long[] {h}, normal(random, h, 0.02));
                w.addFloats(b + "mlp.c_fc.weight", dt, new long[] {h, inter}, normal(random, h * inter, 0.02));
                w.addFloats(b + "mlp.c_fc.bias", dt, new long[] {inter}, normal(random, inter, 0.02));
                w.addFloats(b + "mlp.c_proj.weight", dt, new long[] {inter, h}, normal(random, inter * h, 0.02));
                w.addFloats(b + "mlp.c_proj.bias", dt, new long[] {h}, normal(random, h, 0.02));
            }
            w.addFloats(p + "ln_f.weight", dt, new long[] {h}, around(random, h, 1.0, 0.1));
            w.addFloats(p + "ln_f.bias", dt, new long[] {h}, normal(random, h, 0.02));
            if (!s.tieEmbeddings()) {
                w.addFloats(
                        "lm_head.weight",
                        dt,
                        new long[] {s.vocabSize(), h},
                        normal(random, s.vocabSize() * h, outputStd));
            }
            return w;
        }
        int hd = h / s.heads();
        int qd = s.heads() * hd;
        int kd = s.kvHeads() * hd;
        boolean qkvBias = s.attentionBias() || s.architecture() == Architecture.QWEN2;
        boolean oBias = s.attentionBias() && s.architecture() != Architecture.QWEN2;
        w.addFloats(
                "model.embed_tokens.weight",
                dt,
                new long[] {s.vocabSize(), h},
                normal(random, s.vocabSize() * h, outputStd));
        for (int l = 0; l < s.layers(); l++) {
            String p = "model.layers." + l + ".";
            w.addFloats(p + "input_layernorm.weight", dt, new long[] {h}, around(random, h, 1.0, 0.1));
            w.addFloats(p + "self_attn.q_proj.weight", dt, new long[] {qd, h}, normal(random, qd * h, 0.02));
            w.addFloats(p + "self_attn.k_proj.weight", dt, new long[] {kd, h}, normal(random, kd * h, 0.02));
            w.addFloats(p + "self_attn.v_proj.weight", dt, new long[] {kd, h}, normal(random, kd * h, 0.02));
            w.addFloats(p + "self_attn.o_proj.weight", dt, new long[] {h, qd}, normal(random, h * qd, 0.02));
            if (qkvBias) {
                w.addFloats(p + "self_attn.q_proj.bias", dt, new long[] {qd}, normal(random, qd, 0.02));
                w.addFloats(p + "self_attn.k_proj.bias", dt, new long[] {kd}, normal(random, kd, 0.02));
                w.addFloats(p + "self_attn.v_proj.bias", dt, new long[] {kd}, normal(random, kd, 0.02));
            }
            if (oBias) {
                w.addFloats(p + "self_attn.o_proj.bias", dt, new long[] {h}, normal(random, h, 0.02));
            }
            w.addFloats(p + "post_attention_layernorm.weight", dt, new long[] {h}, around(random, h, 1.0, 0.1));
            w.addFloats(p + "mlp.gate_proj.weight", dt, new long[] {inter, h}, normal(random, inter * h, 0.02));
            w.addFloats(p + "mlp.up_proj.weight", dt, new long[] {inter, h}, normal(random, inter * h, 0.02));
            w.addFloats(p + "mlp.down_proj.weight", dt, new long[] {h, inter}, normal(random, h * inter, 0.02));
        }
        w.addFloats("model.norm.weight", dt, new long[] {h}, around(random, h, 1.0, 0.1));
        if (!s.tieEmbeddings()) {
            w.addFloats(
                    "lm_head.weight", dt, new long[] {s.vocabSize(), h}, normal(random, s.vocabSize() * h, outputStd));
        }
        return w;
    }

    private static float[] normal(SplittableRandom random, int n, double std) {
        return around(random, n, 0.0, std);
    }

    private static float[] around(SplittableRandom random, int n, double mean, double std) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (mean + std * gaussian(random));
        }
        return v;
    }

    /** Box–Muller, so the weights depend only on the seed (SplittableRandom has no nextGaussian on Java 17). */
    private static double gaussian(SplittableRandom random) {
        double u = 1.0 - random.nextDouble();
        double v = random.nextDouble();
        return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    }
}
