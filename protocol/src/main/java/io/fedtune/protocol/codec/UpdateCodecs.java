package io.fedtune.protocol.codec;

import io.fedtune.protocol.safetensors.FloatTensor;
import io.fedtune.protocol.safetensors.SafetensorsFormatException;
import io.fedtune.protocol.safetensors.SafetensorsLimits;
import io.fedtune.protocol.safetensors.SafetensorsStreamReader;
import java.io.IOException;
import java.io.InputStream;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Picks an {@link UpdateCodec} by name ({@code f32}, {@code f16}, {@code int8}, {@code topk}) and parameters, as a
 * federation's config names it, and decodes any body by the codec its metadata names.
 */
public final class UpdateCodecs {

    /** The {@code __metadata__} key every encoded body carries: the codec's name. */
    public static final String CODEC_KEY = "fedtune.codec";

    /** The codec names, in order of increasing loss. */
    public static final List<String> NAMES = List.of(F32Codec.NAME, F16Codec.NAME, Int8Codec.NAME, TopKCodec.NAME);

    /** The top-k fraction when none is given. */
    public static final double DEFAULT_TOPK_FRACTION = 0.1;

    private UpdateCodecs() {}

    /** Lossless F32. */
    public static UpdateCodec f32() {
        return new F32Codec();
    }

    /** Half precision. */
    public static UpdateCodec f16() {
        return new F16Codec();
    }

    /** Symmetric per-tensor int8. */
    public static UpdateCodec int8() {
        return new Int8Codec();
    }

    /** Top-k keeping {@code fraction} of each tensor's entries. */
    public static TopKCodec topK(double fraction) {
        return new TopKCodec(fraction, TopKCodec.Scope.PER_TENSOR);
    }

    /** Top-k keeping {@code fraction} of the entries, per tensor or over all tensors. */
    public static TopKCodec topK(double fraction, TopKCodec.Scope scope) {
        return new TopKCodec(fraction, scope);
    }

    /** The codec of that name with default parameters (top-k: fraction 0.1, per tensor). */
    public static UpdateCodec forName(String name) {
        return forName(name, Map.of());
    }

    /**
     * The codec of that name with these parameters: for {@code topk}, {@code fraction} (in (0, 1], default 0.1) and
     * {@code scope} ({@code per-tensor}, the default, or {@code global}); the other codecs take none.
     *
     * @throws IllegalArgumentException naming the unknown codec or parameter, or the bad value
     */
    public static UpdateCodec forName(String name, Map<String, String> parameters) {
        if (name == null || !NAMES.contains(name)) {
            throw new IllegalArgumentException(
                    "unknown codec '" + name + "'; known codecs: " + String.join(", ", NAMES));
        }
        Map<String, String> rest = new HashMap<>(parameters);
        UpdateCodec codec;
        switch (name) {
            case F32Codec.NAME -> codec = f32();
            case F16Codec.NAME -> codec = f16();
            case Int8Codec.NAME -> codec = int8();
            default -> {
                String fraction = rest.remove("fraction");
                String scope = rest.remove("scope");
                codec = topK(
                        fraction == null ? DEFAULT_TOPK_FRACTION : parseFraction(fraction),
                        scope == null ? TopKCodec.Scope.PER_TENSOR : TopKCodec.Scope.fromWireName(scope));
            }
        }
        if (!rest.isEmpty()) {
            throw new IllegalArgumentException(
                    "codec '" + name + "' has no parameter " + String.join(", ", new TreeMap<>(rest).keySet()));
        }
        return codec;
    }

    /**
     * Decodes a body from {@code in} (not closed) with the codec its {@code fedtune.codec} metadata names; a body
     * without one is read as {@code f32}.
     */
    public static Map<String, FloatTensor> decode(InputStream in) throws IOException {
        return decode(in, SafetensorsLimits.DEFAULT);
    }

    /** {@link #decode(InputStream)} with explicit limits, as a service sets them for uploads. */
    public static Map<String, FloatTensor> decode(InputStream in, SafetensorsLimits limits) throws IOException {
        SafetensorsStreamReader reader = SafetensorsStreamReader.open(in, limits);
        String name = reader.header().metadata().getOrDefault(CODEC_KEY, F32Codec.NAME);
        if (!NAMES.contains(name)) {
            throw new SafetensorsFormatException("body names unknown codec '" + name + "' in '" + CODEC_KEY
                    + "'; known codecs: " + String.join(", ", NAMES));
        }
        return forName(name).decode(reader);
    }

    /**
     * {@code original − reconstructed}, tensor by tensor: what a lossy codec dropped, for error feedback.
     *
     * @throws IllegalArgumentException when the two maps differ in names or shapes
     */
    public static Map<String, FloatTensor> residual(
            Map<String, FloatTensor> original, Map<String, FloatTensor> reconstructed) {
        if (!original.keySet().equals(reconstructed.keySet())) {
            throw new IllegalArgumentException("residual needs the same tensor names on both sides");
        }
        SortedMap<String, FloatTensor> result = new TreeMap<>();
        for (Map.Entry<String, FloatTensor> entry : original.entrySet()) {
            FloatTensor a = entry.getValue();
            FloatTensor b = reconstructed.get(entry.getKey());
            if (!a.sameShape(b)) {
                throw new IllegalArgumentException("tensor '" + entry.getKey() + "' differs in shape");
            }
            float[] x = a.values();
            float[] y = b.values();
            float[] difference = new float[x.length];
            for (int i = 0; i < x.length; i++) {
                difference[i] = x[i] - y[i];
            }
            result.put(entry.getKey(), new FloatTensor(a.shape(), difference));
        }
        return Collections.unmodifiableSortedMap(result);
    }

    private static double parseFraction(String text) {
        try {
            return Double.parseDouble(text);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("topk fraction must be a number in (0, 1], got '" + text + "'", e);
        }
    }
}
