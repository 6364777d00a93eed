package io.fedtune.protocol.codec;

import io.fedtune.protocol.safetensors.DType;
import io.fedtune.protocol.safetensors.Float16;
import io.fedtune.protocol.safetensors.FloatTensor;
import io.fedtune.protocol.safetensors.SafetensorsStreamReader;
import io.fedtune.protocol.safetensors.SafetensorsWriter;
import java.io.IOException;
import java.util.Map;
import java.util.SortedMap;

/**
 * Half precision: every tensor stored as F16 under its own name (half the bytes of f32), rounded to nearest, ties to
 * even.
 *
 * <p>Error bound, for each element {@code x} and its decoded {@code x̂}:
 *
 * <ul>
 *   <li>normal range, {@code 2^-14 ≤ |x| ≤ 65504}: {@code |x − x̂| ≤ 2^-11 · |x|} (half a unit in the last place of an
 *       11-bit significand);
 *   <li>subnormal range, {@code |x| < 2^-14}: {@code |x − x̂| ≤ 2^-25} (half the subnormal spacing 2^-24), so values
 *       below 2^-25 may decode as 0;
 *   <li>{@code 65504 < |x| < 65520} rounds to ±65504, within the relative bound; {@code |x| ≥ 65520} would round to
 *       infinity and is rejected with an {@link UnencodableTensorException}, as are NaN and infinities.
 * </ul>
 */
public final class F16Codec implements UpdateCodec {

    /** The codec's wire name. */
    public static final String NAME = "f16";

    /** Relative error bound in the normal range: 2^-11. */
    public static final double RELATIVE_ERROR_BOUND = 0x1p-11;

    /** Absolute error bound in the subnormal range: 2^-25. */
    public static final double SUBNORMAL_ERROR_BOUND = 0x1p-25;

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Map<String, String> parameters() {
        return Map.of();
    }

    @Override
    public SafetensorsWriter encoder(Map<String, FloatTensor> tensors) {
        SafetensorsWriter writer =
                new SafetensorsWriter().metadata(UpdateCodecs.CODEC_KEY, NAME).metadata("format", "pt");
        for (String name : CodecSupport.sortedNames(tensors)) {
            FloatTensor tensor = tensors.get(name);
            requireEncodable(name, tensor.values());
            writer.add(name, tensor, DType.F16);
        }
        return writer;
    }

    @Override
    public Map<String, FloatTensor> decode(SafetensorsStreamReader reader) throws IOException {
        return CodecSupport.decodeFloats(reader, NAME, dtype -> dtype == DType.F16, "F16");
    }

    @Override
    public Map<String, FloatTensor> reconstruct(Map<String, FloatTensor> tensors) {
        SortedMap<String, FloatTensor> result = CodecSupport.result();
        for (String name : CodecSupport.sortedNames(tensors)) {
            FloatTensor tensor = tensors.get(name);
            float[] values = tensor.values();
            requireEncodable(name, values);
            float[] rounded = new float[values.length];
            for (int i = 0; i < values.length; i++) {
                rounded[i] = Float16.toFloat(Float16.fromFloat(values[i]));
            }
            result.put(name, new FloatTensor(tensor.shape(), rounded));
        }
        return CodecSupport.freeze(result);
    }

    private static void requireEncodable(String name, float[] values) {
        CodecSupport.requireFinite(NAME, name, values);
        for (int i = 0; i < values.length; i++) {
            if (Float16.overflows(values[i])) {
                throw new UnencodableTensorException(
                        NAME,
                        name,
                        i,
                        values[i],
                        "beyond the F16 range (the largest half is 65504; |x| ≥ 65520 would become infinity); use"
                                + " the f32 or int8 codec");
            }
        }
    }

    @Override
    public String toString() {
        return NAME;
    }
}
