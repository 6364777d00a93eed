package io.fedtune.registry.support;

import io.fedtune.protocol.api.registry.AdapterMethod;
import io.fedtune.protocol.api.registry.AdapterMetrics;
import io.fedtune.protocol.api.registry.AdapterPeftConfig;
import io.fedtune.protocol.api.registry.AdapterVersionRegistration;
import io.fedtune.protocol.api.registry.PrivacySettings;
import io.fedtune.protocol.checksum.Sha256;
import io.fedtune.protocol.peft.PeftKeys;
import io.fedtune.protocol.safetensors.DType;
import io.fedtune.protocol.safetensors.SafetensorsWriter;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/** Small real adapters (safetensors with PEFT names) and their registration metadata, for the tests. */
public final class Adapters {

    /** The modules the LoRA fixtures adapt, as a tiny LLaMA-family model names them. */
    public static final List<String> MODULES = List.of(
            "model.layers.0.self_attn.q_proj",
            "model.layers.0.self_attn.v_proj",
            "model.layers.1.self_attn.q_proj",
            "model.layers.1.self_attn.v_proj");

    public static final int HIDDEN = 32;

    private Adapters() {}

    /**
     * An adapter's bytes and the tensors in them.
     *
     * @param bytes the safetensors body
     * @param sha256 its SHA-256
     * @param tensors every tensor's values by name
     */
    public record Built(byte[] bytes, String sha256, Map<String, float[]> tensors) {}

    /** LoRA pairs of rank {@code rank} on {@link #MODULES}, random values from {@code seed}. */
    public static Built lora(long seed, int rank) {
        Random random = new Random(seed);
        SafetensorsWriter writer = new SafetensorsWriter();
        Map<String, float[]> tensors = new LinkedHashMap<>();
        for (String module : MODULES) {
            float[] a = values(random, rank * HIDDEN);
            float[] b = values(random, HIDDEN * rank);
            writer.addFloats(PeftKeys.loraA(module), DType.F32, new long[] {rank, HIDDEN}, a);
            writer.addFloats(PeftKeys.loraB(module), DType.F32, new long[] {HIDDEN, rank}, b);
            tensors.put(PeftKeys.loraA(module), a);
            tensors.put(PeftKeys.loraB(module), b);
        }
        return build(writer, tensors);
    }

    /** A prompt-tuning adapter: {@code prompt_embeddings} of shape [tokens, HIDDEN]. */
    public static Built prompt(long seed, int tokens) {
        float[] embeddings = values(new Random(seed), tokens * HIDDEN);
        SafetensorsWriter writer = new SafetensorsWriter()
                .addFloats(PeftKeys.PROMPT_EMBEDDINGS, DType.F32, new long[] {tokens, HIDDEN}, embeddings);
        return build(writer, Map.of(PeftKeys.PROMPT_EMBEDDINGS, embeddings));
    }

    /** A body written by the caller's writer. */
    public static Built build(SafetensorsWriter writer, Map<String, float[]> tensors) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            writer.writeTo(out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        byte[] bytes = out.toByteArray();
        return new Built(bytes, Sha256.hex(bytes), tensors);
    }

    private static float[] values(Random random, int count) {
        float[] values = new float[count];
        for (int i = 0; i < count; i++) {
            values[i] = (float) random.nextGaussian() * 0.02f;
        }
        return values;
    }

    public static AdapterPeftConfig loraConfig(int rank) {
        return new AdapterPeftConfig(AdapterMethod.LORA, rank, 16, 0.05, false, List.of("q_proj", "v_proj"), 0, "ffa");
    }

    public static AdapterMetrics metrics(double trainLoss, double holdoutLoss, int clients, long examples) {
        return new AdapterMetrics(trainLoss, holdoutLoss, clients, examples, null, null, Map.of());
    }

    /** The metadata of a LoRA version of rank 4 in federation "demo" on base model "tiny-llama". */
    public static AdapterVersionRegistration metadata(
            Built adapter, int version, Integer parent, AdapterMetrics metrics) {
        return new AdapterVersionRegistration(
                version,
                version,
                parent,
                "demo",
                "tiny-llama",
                loraConfig(4),
                "fedavg",
                PrivacySettings.none(),
                metrics,
                adapter.sha256(),
                (long) adapter.bytes().length);
    }
}
