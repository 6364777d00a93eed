package io.fedtune.protocol.codec;

import io.fedtune.protocol.safetensors.FloatTensor;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

/** Seeded random updates shaped like LoRA adapters, and encode/decode plumbing for codec tests. */
final class Updates {

    private Updates() {}

    /** Four tensors of different scales, including values in F16's subnormal range. */
    static Map<String, FloatTensor> random(long seed) {
        Random random = new Random(seed);
        Map<String, FloatTensor> update = new TreeMap<>();
        update.put("base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight", gaussian(random, 0.02, 16, 512));
        update.put("base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight", gaussian(random, 1e-3, 512, 16));
        update.put("base_model.model.model.layers.0.self_attn.v_proj.lora_A.weight", wideRange(random, 16, 512));
        update.put("base_model.model.model.layers.0.self_attn.v_proj.lora_B.weight", gaussian(random, 2e-6, 512, 16));
        return update;
    }

    static FloatTensor gaussian(Random random, double sigma, long rows, long columns) {
        float[] values = new float[(int) (rows * columns)];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) (random.nextGaussian() * sigma);
        }
        return FloatTensor.of(values, rows, columns);
    }

    /** Magnitudes spread over 2^-20 .. 2^14, both signs. */
    static FloatTensor wideRange(Random random, long rows, long columns) {
        float[] values = new float[(int) (rows * columns)];
        for (int i = 0; i < values.length; i++) {
            double magnitude = Math.pow(2, random.nextDouble() * 34 - 20);
            values[i] = (float) (random.nextBoolean() ? magnitude : -magnitude);
        }
        return FloatTensor.of(values, rows, columns);
    }

    static byte[] encode(UpdateCodec codec, Map<String, FloatTensor> update) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            codec.encode(update, out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    static Map<String, FloatTensor> decode(UpdateCodec codec, byte[] body) throws IOException {
        return codec.decode(new ByteArrayInputStream(body));
    }

    static Map<String, FloatTensor> roundTrip(UpdateCodec codec, Map<String, FloatTensor> update) throws IOException {
        return decode(codec, encode(codec, update));
    }
}
