package io.fedtune.protocol.codec;

import io.fedtune.protocol.safetensors.DType;
import io.fedtune.protocol.safetensors.FloatTensor;
import io.fedtune.protocol.safetensors.SafetensorsFormatException;
import io.fedtune.protocol.safetensors.SafetensorsStreamReader;
import io.fedtune.protocol.safetensors.SafetensorsWriter;
import io.fedtune.protocol.safetensors.TensorInfo;
import java.io.IOException;
import java.util.HashMap;
import java.util.Map;
import java.util.SortedMap;

/**
 * Symmetric per-tensor 8-bit quantization: a quarter of the bytes of f32. Each tensor {@code W} is stored as an I8
 * tensor {@code W} of {@code q = round(x / scale)} (ties to even, in {@code [-127, 127]}) and an F32 scalar {@code
 * W.__scale}, where {@code scale} is the smallest float not below {@code max|x| / 127} (0 for an all-zero tensor);
 * decoding gives {@code x̂ = q · scale} in float arithmetic.
 *
 * <p>Error bound, for each element: {@code |x − x̂| ≤ scale / 2}, plus the final float multiplication's rounding (at
 * most half an ulp of {@code x̂}, i.e. below {@code 127 · scale · 2^-24}). Elements equal to {@code ±max|x|} are exact
 * up to that rounding. NaN and infinities are rejected with an {@link UnencodableTensorException}.
 */
public final class Int8Codec implements UpdateCodec {

    /** The codec's wire name. */
    public static final String NAME = "int8";

    /** Suffix of the F32 scalar holding a tensor's scale. */
    public static final String SCALE_SUFFIX = ".__scale";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Map<String, String> parameters() {
        return Map.of();
    }

    /** The scale for {@code values}: the smallest float {@code s} with {@code 127 · s ≥ max|x|}. */
    public static float scaleOf(float[] values) {
        float max = 0;
        for (float value : values) {
            max = Math.max(max, Math.abs(value));
        }
        if (max == 0) {
            return 0;
        }
        float scale = Math.max(max / 127f, Float.MIN_VALUE);
        while ((double) scale * 127 < max) {
            scale = Math.nextUp(scale);
        }
        return scale;
    }

    @Override
    public SafetensorsWriter encoder(Map<String, FloatTensor> tensors) {
        SafetensorsWriter writer = new SafetensorsWriter().metadata(UpdateCodecs.CODEC_KEY, NAME);
        for (String name : CodecSupport.sortedNames(tensors)) {
            CodecSupport.requireNoSuffix(NAME, name, SCALE_SUFFIX);
            FloatTensor tensor = tensors.get(name);
            float[] values = tensor.values();
            CodecSupport.requireFinite(NAME, name, values);
            float scale = scaleOf(values);
            writer.addBytes(name, DType.I8, tensor.shape(), quantize(values, scale));
            writer.addFloats(name + SCALE_SUFFIX, DType.F32, new long[0], new float[] {scale});
        }
        return writer;
    }

    @Override
    public Map<String, FloatTensor> decode(SafetensorsStreamReader reader) throws IOException {
        CodecSupport.requireCodec(reader.header(), NAME);
        Map<String, Float> scales = new HashMap<>();
        Map<String, byte[]> quantized = new HashMap<>();
        Map<String, long[]> shapes = new HashMap<>();
        while (reader.hasNext()) {
            TensorInfo tensor = reader.next();
            String name = tensor.name();
            if (name.endsWith(SCALE_SUFFIX)) {
                if (tensor.dtype() != DType.F32 || tensor.rank() != 0) {
                    throw new SafetensorsFormatException(
                            "int8 scale '" + name + "' must be an F32 scalar, found "
                                    + tensor.dtype().wireName() + " of rank " + tensor.rank(),
                            name);
                }
                float scale = reader.readFloats()[0];
                if (!Float.isFinite(scale) || scale < 0) {
                    throw new SafetensorsFormatException(
                            "int8 scale '" + name + "' is " + scale + "; a scale must be finite and non-negative",
                            name);
                }
                scales.put(name.substring(0, name.length() - SCALE_SUFFIX.length()), scale);
            } else {
                if (tensor.dtype() != DType.I8) {
                    throw new SafetensorsFormatException(
                            "int8 update tensor '" + name + "' is "
                                    + tensor.dtype().wireName() + "; expected I8",
                            name);
                }
                byte[] q = reader.readBytes();
                for (int i = 0; i < q.length; i++) {
                    if (q[i] == Byte.MIN_VALUE) {
                        throw new SafetensorsFormatException(
                                "int8 update tensor '" + name + "' element " + i + " is -128; codes lie in [-127, 127]",
                                name);
                    }
                }
                quantized.put(name, q);
                shapes.put(name, tensor.shape());
            }
        }
        reader.finish();
        for (String scaled : scales.keySet()) {
            if (!quantized.containsKey(scaled)) {
                throw new SafetensorsFormatException(
                        "int8 scale '" + scaled + SCALE_SUFFIX + "' has no tensor '" + scaled + "'",
                        scaled + SCALE_SUFFIX);
            }
        }
        SortedMap<String, FloatTensor> result = CodecSupport.result();
        for (Map.Entry<String, byte[]> entry : quantized.entrySet()) {
            String name = entry.getKey();
            Float scale = scales.get(name);
            if (scale == null) {
                throw new SafetensorsFormatException(
                        "int8 update tensor '" + name + "' has no scale '" + name + SCALE_SUFFIX + "'", name);
            }
            result.put(name, new FloatTensor(shapes.get(name), dequantize(entry.getValue(), scale)));
        }
        return CodecSupport.freeze(result);
    }

    @Override
    public Map<String, FloatTensor> reconstruct(Map<String, FloatTensor> tensors) {
        SortedMap<String, FloatTensor> result = CodecSupport.result();
        for (String name : CodecSupport.sortedNames(tensors)) {
            FloatTensor tensor = tensors.get(name);
            float[] values = tensor.values();
            CodecSupport.requireFinite(NAME, name, values);
            float scale = scaleOf(values);
            result.put(name, new FloatTensor(tensor.shape(), dequantize(quantize(values, scale), scale)));
        }
        return CodecSupport.freeze(result);
    }

    private static byte[] quantize(float[] values, float scale) {
        byte[] q = new byte[values.length];
        if (scale == 0) {
            return q;
        }
        double inverse = 1.0 / scale;
        for (int i = 0; i < values.length; i++) {
            double code = Math.rint(values[i] * inverse);
            q[i] = (byte) Math.max(-127, Math.min(127, code));
        }
        return q;
    }

    private static float[] dequantize(byte[] q, float scale) {
        float[] values = new float[q.length];
        for (int i = 0; i < q.length; i++) {
            values[i] = q[i] * scale;
        }
        return values;
    }

    @Override
    public String toString() {
        return NAME;
    }
}
