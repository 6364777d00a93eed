package io.fedtune.protocol.codec;

import io.fedtune.protocol.safetensors.DType;
import io.fedtune.protocol.safetensors.FloatTensor;
import io.fedtune.protocol.safetensors.SafetensorsFormatException;
import io.fedtune.protocol.safetensors.SafetensorsHeader;
import io.fedtune.protocol.safetensors.SafetensorsStreamReader;
import io.fedtune.protocol.safetensors.SafetensorsWriter;
import io.fedtune.protocol.safetensors.TensorInfo;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.SortedMap;

/**
 * Top-k sparsification: only the largest-magnitude entries travel. For a tensor {@code W} the body holds {@code
 * W.__indices} (I32, flat row-major positions, strictly increasing), {@code W.__values} (F32, the entries at those
 * positions) and the original shape in the metadata entry {@code fedtune.topk.shape.W} (a JSON array such as {@code
 * [16,4096]}).
 *
 * <p>With {@link Scope#PER_TENSOR} each tensor of {@code n} elements keeps its {@code k = max(1, ⌈fraction · n⌉)}
 * largest |x|; with {@link Scope#GLOBAL} the {@code ⌈fraction · N⌉} largest |x| over all {@code N} elements are kept,
 * wherever they are. Ties at the threshold go to lower positions (tensors in name order); entries equal to zero are
 * never stored, so fewer than k may be.
 *
 * <p>Error bound: kept entries decode exactly ({@code x̂ = x}, bit for bit); every other entry decodes as 0, so its
 * error is |x|, at most the smallest kept magnitude. Error feedback (adding {@link #residual(Map)} to the next round's
 * update) is the agent's job. NaN and infinities are rejected with an {@link UnencodableTensorException}. The body
 * costs 8 bytes per kept entry, so fractions above one half are larger than {@code f32}.
 */
public final class TopKCodec implements UpdateCodec {

    /** The codec's wire name. */
    public static final String NAME = "topk";

    /** Suffix of a tensor's position tensor. */
    public static final String INDICES_SUFFIX = ".__indices";

    /** Suffix of a tensor's value tensor. */
    public static final String VALUES_SUFFIX = ".__values";

    /** Prefix of the metadata keys holding each tensor's original shape. */
    public static final String SHAPE_KEY_PREFIX = "fedtune.topk.shape.";

    /** Where the k largest entries are chosen. */
    public enum Scope {
        /** The fraction applies to each tensor on its own. */
        PER_TENSOR,
        /** The fraction applies to all tensors together. */
        GLOBAL;

        /** The scope's name as a parameter: {@code per-tensor} or {@code global}. */
        public String wireName() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }

        /** The scope of a parameter value, as {@link #wireName()} writes it. */
        public static Scope fromWireName(String value) {
            for (Scope scope : values()) {
                if (scope.wireName().equals(value)) {
                    return scope;
                }
            }
            throw new IllegalArgumentException("topk scope must be 'per-tensor' or 'global', got '" + value + "'");
        }
    }

    private final double fraction;
    private final Scope scope;

    /**
     * A top-k codec keeping {@code fraction} of the entries.
     *
     * @param fraction in (0, 1]
     */
    public TopKCodec(double fraction, Scope scope) {
        if (!(fraction > 0 && fraction <= 1)) {
            throw new IllegalArgumentException("topk fraction must be in (0, 1], got " + fraction);
        }
        this.fraction = fraction;
        this.scope = Objects.requireNonNull(scope, "scope");
    }

    /** The fraction of entries kept. */
    public double fraction() {
        return fraction;
    }

    /** Where the entries are chosen. */
    public Scope scope() {
        return scope;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Map<String, String> parameters() {
        Map<String, String> parameters = new LinkedHashMap<>();
        parameters.put("fraction", Double.toString(fraction));
        parameters.put("scope", scope.wireName());
        return parameters;
    }

    @Override
    public SafetensorsWriter encoder(Map<String, FloatTensor> tensors) {
        List<String> names = CodecSupport.sortedNames(tensors);
        SafetensorsWriter writer = new SafetensorsWriter()
                .metadata(UpdateCodecs.CODEC_KEY, NAME)
                .metadata("fedtune.topk.fraction", Double.toString(fraction))
                .metadata("fedtune.topk.scope", scope.wireName());
        List<Sparse> selected = select(names, tensors);
        for (int t = 0; t < names.size(); t++) {
            String name = names.get(t);
            Sparse sparse = selected.get(t);
            long[] k = {sparse.indices.length};
            writer.addInts(name + INDICES_SUFFIX, k, sparse.indices);
            writer.addFloats(name + VALUES_SUFFIX, DType.F32, k, sparse.values);
            writer.metadata(SHAPE_KEY_PREFIX + name, shapeText(tensors.get(name).shape()));
        }
        return writer;
    }

    @Override
    public Map<String, FloatTensor> reconstruct(Map<String, FloatTensor> tensors) {
        List<String> names = CodecSupport.sortedNames(tensors);
        List<Sparse> selected = select(names, tensors);
        SortedMap<String, FloatTensor> result = CodecSupport.result();
        for (int t = 0; t < names.size(); t++) {
            FloatTensor tensor = tensors.get(names.get(t));
            Sparse sparse = selected.get(t);
            float[] dense = new float[tensor.size()];
            for (int i = 0; i < sparse.indices.length; i++) {
                dense[sparse.indices[i]] = sparse.values[i];
            }
            result.put(names.get(t), new FloatTensor(tensor.shape(), dense));
        }
        return CodecSupport.freeze(result);
    }

    @Override
    public Map<String, FloatTensor> decode(SafetensorsStreamReader reader) throws IOException {
        SafetensorsHeader header = reader.header();
        CodecSupport.requireCodec(header, NAME);
        Map<String, long[]> shapes = new LinkedHashMap<>();
        for (Map.Entry<String, String> entry : header.metadata().entrySet()) {
            if (entry.getKey().startsWith(SHAPE_KEY_PREFIX)) {
                String name = entry.getKey().substring(SHAPE_KEY_PREFIX.length());
                shapes.put(name, parseShape(name, entry.getValue()));
            }
        }
        Map<String, int[]> indices = new HashMap<>();
        Map<String, float[]> values = new HashMap<>();
        while (reader.hasNext()) {
            TensorInfo tensor = reader.next();
            String name = tensor.name();
            if (name.endsWith(INDICES_SUFFIX)) {
                String owner = owner(name, INDICES_SUFFIX, shapes);
                requireVector(tensor, tensor.dtype() == DType.I32 || tensor.dtype() == DType.I64, "I32 or I64");
                long limit = elementCount(shapes.get(owner));
                indices.put(owner, readIndices(reader, tensor, limit));
            } else if (name.endsWith(VALUES_SUFFIX)) {
                String owner = owner(name, VALUES_SUFFIX, shapes);
                requireVector(tensor, tensor.dtype() == DType.F32, "F32");
                float[] kept = reader.readFloats();
                CodecSupport.requireFiniteDecoded(NAME, name, kept);
                values.put(owner, kept);
            } else {
                throw new SafetensorsFormatException(
                        "topk body has tensor '" + name + "', which is neither '<name>" + INDICES_SUFFIX
                                + "' nor '<name>" + VALUES_SUFFIX + "'",
                        name);
            }
        }
        reader.finish();
        SortedMap<String, FloatTensor> result = CodecSupport.result();
        for (Map.Entry<String, long[]> entry : shapes.entrySet()) {
            String name = entry.getKey();
            int[] positions = indices.get(name);
            float[] kept = values.get(name);
            if (positions == null || kept == null) {
                String missing = name + (positions == null ? INDICES_SUFFIX : VALUES_SUFFIX);
                throw new SafetensorsFormatException("topk tensor '" + name + "' has no '" + missing + "'", name);
            }
            if (positions.length != kept.length) {
                throw new SafetensorsFormatException(
                        "topk tensor '" + name + "' has " + positions.length + " indices but " + kept.length
                                + " values",
                        name);
            }
            long count = elementCount(entry.getValue());
            if (count > Integer.MAX_VALUE - 8) {
                throw new SafetensorsFormatException(
                        "topk tensor '" + name + "' shape " + Arrays.toString(entry.getValue())
                                + " is too large to decode",
                        name);
            }
            float[] dense = new float[(int) count];
            for (int i = 0; i < positions.length; i++) {
                dense[positions[i]] = kept[i];
            }
            result.put(name, new FloatTensor(entry.getValue(), dense));
        }
        return CodecSupport.freeze(result);
    }

    // ---------------------------------------------------------------- selection

    /** The kept positions and values of one tensor. */
    private record Sparse(int[] indices, float[] values) {}

    private List<Sparse> select(List<String> names, Map<String, FloatTensor> tensors) {
        List<float[]> arrays = new ArrayList<>(names.size());
        for (String name : names) {
            CodecSupport.requireNoSuffix(NAME, name, INDICES_SUFFIX, VALUES_SUFFIX);
            float[] values = tensors.get(name).values();
            CodecSupport.requireFinite(NAME, name, values);
            arrays.add(values);
        }
        List<Sparse> selected = new ArrayList<>(arrays.size());
        Histograms histograms = new Histograms();
        if (scope == Scope.GLOBAL) {
            long total = 0;
            for (float[] values : arrays) {
                total += values.length;
            }
            Threshold threshold = Threshold.of(arrays, keep(total), histograms);
            for (float[] values : arrays) {
                selected.add(threshold.take(values));
            }
        } else {
            for (float[] values : arrays) {
                selected.add(Threshold.of(List.of(values), keep(values.length), histograms)
                        .take(values));
            }
        }
        return selected;
    }

    /** {@code max(1, ⌈fraction · n⌉)} for {@code n > 0}, with a margin against binary rounding of the fraction. */
    private long keep(long n) {
        if (n == 0) {
            return 0;
        }
        long k = (long) Math.ceil(fraction * n - 1e-9);
        return Math.max(1, Math.min(n, k));
    }

    /** Counting buffers for {@link Threshold}, reused across tensors: bits 30..16 and 15..0 of |x|. */
    private static final class Histograms {
        final long[] high = new long[1 << 15];
        final long[] low = new long[1 << 16];
    }

    /**
     * The magnitude threshold of a top-k selection, found without sorting: a two-pass radix select on the bits of |x|
     * (for non-negative floats, bit order is numeric order). Keeps every entry above the threshold and the first
     * {@code ties} entries equal to it.
     */
    private static final class Threshold {
        private final int bits;
        private long ties;

        private Threshold(int bits, long ties) {
            this.bits = bits;
            this.ties = ties;
        }

        static Threshold of(List<float[]> arrays, long k, Histograms histograms) {
            if (k == 0) {
                return new Threshold(Integer.MAX_VALUE, 0);
            }
            long[] high = histograms.high;
            long[] low = histograms.low;
            Arrays.fill(high, 0);
            Arrays.fill(low, 0);
            for (float[] values : arrays) {
                for (float value : values) {
                    high[(Float.floatToRawIntBits(value) & 0x7FFF_FFFF) >>> 16]++;
                }
            }
            long above = 0;
            int h = high.length - 1;
            while (h > 0 && above + high[h] < k) {
                above += high[h--];
            }
            for (float[] values : arrays) {
                for (float value : values) {
                    int abs = Float.floatToRawIntBits(value) & 0x7FFF_FFFF;
                    if (abs >>> 16 == h) {
                        low[abs & 0xFFFF]++;
                    }
                }
            }
            int l = low.length - 1;
            while (l > 0 && above + low[l] < k) {
                above += low[l--];
            }
            int bits = h << 16 | l;
            return new Threshold(bits, bits == 0 ? 0 : k - above);
        }

        Sparse take(float[] values) {
            int count = 0;
            long tiesLeft = ties;
            for (float value : values) {
                int abs = Float.floatToRawIntBits(value) & 0x7FFF_FFFF;
                if (abs > bits || (abs == bits && tiesLeft-- > 0)) {
                    count++;
                }
            }
            int[] indices = new int[count];
            float[] kept = new float[count];
            int n = 0;
            for (int i = 0; i < values.length && n < count; i++) {
                int abs = Float.floatToRawIntBits(values[i]) & 0x7FFF_FFFF;
                if (abs > bits || (abs == bits && ties-- > 0)) {
                    indices[n] = i;
                    kept[n++] = values[i];
                }
            }
            return new Sparse(indices, kept);
        }
    }

    // ---------------------------------------------------------------- decoding helpers

    private static String owner(String name, String suffix, Map<String, long[]> shapes)
            throws SafetensorsFormatException {
        String owner = name.substring(0, name.length() - suffix.length());
        if (!shapes.containsKey(owner)) {
            throw new SafetensorsFormatException(
                    "topk tensor '" + name + "' has no shape: metadata '" + SHAPE_KEY_PREFIX + owner + "' is missing",
                    name);
        }
        return owner;
    }

    private static void requireVector(TensorInfo tensor, boolean typeOk, String type)
            throws SafetensorsFormatException {
        if (!typeOk || tensor.rank() != 1) {
            throw new SafetensorsFormatException(
                    "topk tensor '" + tensor.name() + "' must be a 1-D " + type + " tensor, found "
                            + tensor.dtype().wireName() + Arrays.toString(tensor.shape()),
                    tensor.name());
        }
    }

    private static int[] readIndices(SafetensorsStreamReader reader, TensorInfo tensor, long limit) throws IOException {
        int[] positions;
        if (tensor.dtype() == DType.I32) {
            positions = reader.readInts();
        } else {
            long[] wide = reader.readLongs();
            positions = new int[wide.length];
            for (int i = 0; i < wide.length; i++) {
                if (wide[i] < 0 || wide[i] >= limit) {
                    throw outOfRange(tensor, i, wide[i], limit);
                }
                positions[i] = (int) wide[i];
            }
        }
        long previous = -1;
        for (int i = 0; i < positions.length; i++) {
            if (positions[i] < 0 || positions[i] >= limit) {
                throw outOfRange(tensor, i, positions[i], limit);
            }
            if (positions[i] <= previous) {
                throw new SafetensorsFormatException(
                        "topk tensor '" + tensor.name() + "' index " + i + " (" + positions[i]
                                + ") does not follow the previous one; indices must be strictly increasing",
                        tensor.name());
            }
            previous = positions[i];
        }
        return positions;
    }

    private static SafetensorsFormatException outOfRange(TensorInfo tensor, int i, long value, long limit) {
        return new SafetensorsFormatException(
                "topk tensor '" + tensor.name() + "' index " + i + " is " + value + ", outside [0, " + limit + ")",
                tensor.name());
    }

    private static long elementCount(long[] shape) {
        long count = 1;
        for (long dim : shape) {
            count = Math.multiplyExact(count, dim);
        }
        return count;
    }

    static String shapeText(long[] shape) {
        StringBuilder text = new StringBuilder("[");
        for (int i = 0; i < shape.length; i++) {
            if (i > 0) {
                text.append(',');
            }
            text.append(shape[i]);
        }
        return text.append(']').toString();
    }

    private static long[] parseShape(String name, String text) throws SafetensorsFormatException {
        if (!text.startsWith("[") || !text.endsWith("]")) {
            throw badShape(name, text);
        }
        String inner = text.substring(1, text.length() - 1).trim();
        if (inner.isEmpty()) {
            return new long[0];
        }
        String[] parts = inner.split(",", -1);
        long[] shape = new long[parts.length];
        long count = 1;
        for (int i = 0; i < parts.length; i++) {
            String part = parts[i].trim();
            if (part.isEmpty() || part.length() > 18 || !part.chars().allMatch(c -> c >= '0' && c <= '9')) {
                throw badShape(name, text);
            }
            shape[i] = Long.parseLong(part);
            if (shape[i] != 0 && count > (Integer.MAX_VALUE - 8) / shape[i]) {
                throw new SafetensorsFormatException(
                        "topk tensor '" + name + "' shape " + text + " is too large to decode", name);
            }
            count *= shape[i];
        }
        return shape;
    }

    private static SafetensorsFormatException badShape(String name, String text) {
        return new SafetensorsFormatException(
                "topk metadata '" + SHAPE_KEY_PREFIX + name + "' must be a JSON array of non-negative integers, found '"
                        + text + "'",
                name);
    }

    @Override
    public String toString() {
        return NAME + "(fraction=" + fraction + ", scope=" + scope.wireName() + ")";
    }
}
