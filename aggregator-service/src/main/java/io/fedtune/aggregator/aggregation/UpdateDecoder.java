package io.fedtune.aggregator.aggregation;

import io.fedtune.protocol.codec.Int8Codec;
import io.fedtune.protocol.codec.TopKCodec;
import io.fedtune.protocol.codec.UpdateCodecs;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Turns an update encoded with one of protocol's lossy sparse or quantized codecs ({@code int8}, {@code topk}) into
 * the plain F32 tensors that the checks and the strategies read, streaming a chunk at a time: memory stays bounded by
 * a few buffers whatever the size of the update.
 *
 * <p>Decoding happens in two steps so that a hostile body costs nothing: {@link #tensors} reads only the header and
 * returns the logical tensors (names and shapes) the body claims, which the caller checks against the federation's
 * adapter; only then {@link #decode} writes their values. The rules are those of {@link Int8Codec} and
 * {@link TopKCodec}: an int8 tensor {@code W} is I8 codes in [-127, 127] times the F32 scalar {@code W.__scale}; a
 * top-k tensor {@code W} has strictly increasing flat positions {@code W.__indices} (I32 or I64), F32 values {@code
 * W.__values} and its shape in the metadata {@code fedtune.topk.shape.W}. Top-k values are the delta to the round's
 * global tensor of the same name and shape (the entries not sent keep the global value); where the global adapter has
 * no such tensor (stack mode, a lower rank) they are the values themselves.
 */
public final class UpdateDecoder {

    private static final int CHUNK = 1 << 14;
    private static final JsonMapper json = JsonMapper.builder().build();

    private UpdateDecoder() {}

    /** Whether bodies of this codec need decoding, rather than being read as they are. */
    public static boolean needsDecoding(String codec) {
        return codec.equals(Int8Codec.NAME) || codec.equals(TopKCodec.NAME);
    }

    /**
     * The logical tensors of an encoded body, in name order, after checking that its tensors are exactly what the
     * codec writes (companions complete, dtypes and ranks right).
     *
     * @throws InvalidTensorFileException naming what is wrong
     */
    public static List<TensorSpec> tensors(String codec, SafetensorsHeader header) throws InvalidTensorFileException {
        return switch (codec) {
            case Int8Codec.NAME -> int8Tensors(header);
            case TopKCodec.NAME -> topKTensors(header);
            default -> throw new IllegalArgumentException("codec " + codec + " needs no decoding");
        };
    }

    /**
     * Writes the F32 values of every tensor of {@code tensors} (as {@link #tensors} returned them) to {@code out}.
     *
     * @param base for top-k: the tensor a delta applies to, or null where the values stand alone
     * @throws InvalidTensorFileException when a value or position is out of range
     */
    public static void decode(
            String codec,
            BlobTensorInput body,
            List<TensorSpec> tensors,
            Function<TensorSpec, TensorInput> base,
            TensorSink out)
            throws IOException {
        for (TensorSpec tensor : tensors) {
            if (codec.equals(Int8Codec.NAME)) {
                decodeInt8(body, tensor, out);
            } else {
                decodeTopK(body, tensor, base.apply(tensor), out);
            }
        }
    }

    // ------------------------------------------------------------------ int8

    private static List<TensorSpec> int8Tensors(SafetensorsHeader header) throws InvalidTensorFileException {
        Map<String, TensorSpec> quantized = new TreeMap<>();
        Map<String, SafetensorsHeader.Entry> scales = new HashMap<>();
        for (SafetensorsHeader.Entry entry : header.tensors()) {
            String name = entry.name();
            if (name.endsWith(Int8Codec.SCALE_SUFFIX)) {
                if (!entry.dtype().equals("F32") || entry.shape().length != 0) {
                    throw new InvalidTensorFileException("int8 scale '" + name + "' must be an F32 scalar, found "
                            + entry.dtype() + " of shape " + Arrays.toString(entry.shape()));
                }
                scales.put(name.substring(0, name.length() - Int8Codec.SCALE_SUFFIX.length()), entry);
            } else {
                if (!entry.dtype().equals("I8")) {
                    throw new InvalidTensorFileException(
                            "int8 update tensor '" + name + "' is " + entry.dtype() + ", expected I8");
                }
                quantized.put(name, entry.spec());
            }
        }
        for (String scaled : scales.keySet()) {
            if (!quantized.containsKey(scaled)) {
                throw new InvalidTensorFileException(
                        "int8 scale '" + scaled + Int8Codec.SCALE_SUFFIX + "' has no tensor '" + scaled + "'");
            }
        }
        for (String name : quantized.keySet()) {
            if (!scales.containsKey(name)) {
                throw new InvalidTensorFileException(
                        "int8 update tensor '" + name + "' has no scale '" + name + Int8Codec.SCALE_SUFFIX + "'");
            }
        }
        return new ArrayList<>(quantized.values());
    }

    private static void decodeInt8(BlobTensorInput body, TensorSpec tensor, TensorSink out) throws IOException {
        float[] scale = new float[1];
        try (FloatReader reader = body.open(tensor.name() + Int8Codec.SCALE_SUFFIX, 0, 1)) {
            reader.read(scale, 0, 1);
        }
        if (!Float.isFinite(scale[0]) || scale[0] < 0) {
            throw new InvalidTensorFileException("int8 scale of '" + tensor.name() + "' is " + scale[0]
                    + "; a scale must be finite and non-negative");
        }
        byte[] codes = new byte[CHUNK];
        float[] values = new float[CHUNK];
        try (InputStream in = body.bytes(tensor.name())) {
            for (long done = 0; done < tensor.elements(); ) {
                int n = (int) Math.min(CHUNK, tensor.elements() - done);
                if (in.readNBytes(codes, 0, n) < n) {
                    throw new EOFException("tensor data ends early");
                }
                for (int i = 0; i < n; i++) {
                    if (codes[i] == Byte.MIN_VALUE) {
                        throw new InvalidTensorFileException("int8 update tensor '" + tensor.name() + "' element "
                                + (done + i) + " is -128; codes lie in [-127, 127]");
                    }
                    values[i] = codes[i] * scale[0];
                }
                out.write(tensor.name(), done, values, 0, n);
                done += n;
            }
        }
    }

    // ------------------------------------------------------------------ top-k

    private static List<TensorSpec> topKTensors(SafetensorsHeader header) throws InvalidTensorFileException {
        Map<String, TensorSpec> logical = new TreeMap<>();
        for (Map.Entry<String, String> meta : header.metadata().entrySet()) {
            if (meta.getKey().startsWith(TopKCodec.SHAPE_KEY_PREFIX)) {
                String name = meta.getKey().substring(TopKCodec.SHAPE_KEY_PREFIX.length());
                logical.put(name, new TensorSpec(name, parseShape(name, meta.getValue())));
            }
        }
        Map<String, SafetensorsHeader.Entry> indices = new HashMap<>();
        Map<String, SafetensorsHeader.Entry> values = new HashMap<>();
        for (SafetensorsHeader.Entry entry : header.tensors()) {
            String name = entry.name();
            boolean isIndices = name.endsWith(TopKCodec.INDICES_SUFFIX);
            if (!isIndices && !name.endsWith(TopKCodec.VALUES_SUFFIX)) {
                throw new InvalidTensorFileException("topk body has tensor '" + name + "', which is neither '<name>"
                        + TopKCodec.INDICES_SUFFIX + "' nor '<name>" + TopKCodec.VALUES_SUFFIX + "'");
            }
            String suffix = isIndices ? TopKCodec.INDICES_SUFFIX : TopKCodec.VALUES_SUFFIX;
            String owner = name.substring(0, name.length() - suffix.length());
            if (!logical.containsKey(owner)) {
                throw new InvalidTensorFileException("topk tensor '" + name + "' has no shape in the metadata '"
                        + TopKCodec.SHAPE_KEY_PREFIX + owner + "'");
            }
            boolean dtypeOk = isIndices
                    ? entry.dtype().equals("I32") || entry.dtype().equals("I64")
                    : entry.dtype().equals("F32");
            if (!dtypeOk || entry.shape().length != 1) {
                throw new InvalidTensorFileException("topk tensor '" + name + "' must be a vector of "
                        + (isIndices ? "I32 or I64" : "F32") + ", found " + entry.dtype() + " of shape "
                        + Arrays.toString(entry.shape()));
            }
            (isIndices ? indices : values).put(owner, entry);
        }
        for (TensorSpec tensor : logical.values()) {
            SafetensorsHeader.Entry positions = indices.get(tensor.name());
            SafetensorsHeader.Entry kept = values.get(tensor.name());
            if (positions == null || kept == null) {
                throw new InvalidTensorFileException("topk tensor '" + tensor.name() + "' has no '" + tensor.name()
                        + (positions == null ? TopKCodec.INDICES_SUFFIX : TopKCodec.VALUES_SUFFIX) + "'");
            }
            if (positions.shape()[0] != kept.shape()[0]) {
                throw new InvalidTensorFileException("topk tensor '" + tensor.name() + "' has "
                        + positions.shape()[0] + " indices but " + kept.shape()[0] + " values");
            }
            if (positions.shape()[0] > tensor.elements()) {
                throw new InvalidTensorFileException("topk tensor '" + tensor.name() + "' keeps "
                        + positions.shape()[0] + " entries of " + tensor.elements());
            }
        }
        return new ArrayList<>(logical.values());
    }

    private static int[] parseShape(String name, String text) throws InvalidTensorFileException {
        try {
            JsonNode node = json.readTree(text);
            if (node == null || !node.isArray() || node.size() > 8) {
                throw new InvalidTensorFileException("topk shape of '" + name + "' is not a JSON array: " + text);
            }
            int[] shape = new int[node.size()];
            long elements = 1;
            for (int i = 0; i < shape.length; i++) {
                if (!node.get(i).canConvertToInt() || node.get(i).asInt() < 0) {
                    throw new InvalidTensorFileException("topk shape of '" + name + "' is invalid: " + text);
                }
                shape[i] = node.get(i).asInt();
                elements *= Math.max(1, shape[i]);
                if (elements > Integer.MAX_VALUE) {
                    throw new InvalidTensorFileException("topk shape of '" + name + "' is too large: " + text);
                }
            }
            return shape;
        } catch (JacksonException e) {
            throw new InvalidTensorFileException("topk shape of '" + name + "' is not JSON: " + text);
        }
    }

    private static void decodeTopK(BlobTensorInput body, TensorSpec tensor, TensorInput base, TensorSink out)
            throws IOException {
        String name = tensor.name();
        long total = tensor.elements();
        String indexName = name + TopKCodec.INDICES_SUFFIX;
        int width = body.header().entry(indexName).dtype().equals("I64") ? 8 : 4;
        long kept = body.header().entry(indexName).elements();
        float[] dense = new float[CHUNK];
        float[] sparse = new float[CHUNK];
        ByteBuffer positions = ByteBuffer.allocate(CHUNK * width).order(ByteOrder.LITTLE_ENDIAN);
        positions.limit(0);
        try (InputStream indexBytes = body.bytes(indexName);
                FloatReader valueReader = body.open(name + TopKCodec.VALUES_SUFFIX, 0, kept);
                FloatReader baseReader = base == null ? null : base.open(name, 0, total)) {
            long consumed = 0;
            int sparseAt = CHUNK;
            long previous = -1;
            long next = -1;
            for (long chunkStart = 0; chunkStart < total; chunkStart += CHUNK) {
                int n = (int) Math.min(CHUNK, total - chunkStart);
                if (baseReader != null) {
                    baseReader.read(dense, 0, n);
                } else {
                    Arrays.fill(dense, 0, n, 0f);
                }
                while (true) {
                    if (next < 0 && consumed < kept) {
                        if (!positions.hasRemaining()) {
                            int want = (int) Math.min(CHUNK, kept - consumed) * width;
                            positions.clear();
                            if (indexBytes.readNBytes(positions.array(), 0, want) < want) {
                                throw new EOFException("tensor data ends early");
                            }
                            positions.limit(want);
                        }
                        next = width == 8 ? positions.getLong() : positions.getInt();
                        if (next <= previous || next >= total) {
                            throw new InvalidTensorFileException("topk tensor '" + name + "' position " + next
                                    + " (entry " + consumed + ") is not above the previous one and below " + total);
                        }
                    }
                    if (next < 0 || next >= chunkStart + n) {
                        break;
                    }
                    if (sparseAt == CHUNK) {
                        valueReader.read(sparse, 0, (int) Math.min(CHUNK, kept - consumed));
                        sparseAt = 0;
                    }
                    int at = (int) (next - chunkStart);
                    dense[at] = baseReader == null ? sparse[sparseAt] : dense[at] + sparse[sparseAt];
                    sparseAt++;
                    consumed++;
                    previous = next;
                    next = -1;
                }
                out.write(name, chunkStart, dense, 0, n);
            }
            if (consumed < kept) {
                throw new InvalidTensorFileException("topk tensor '" + name + "' has positions beyond its shape");
            }
        }
    }

    /** The codec mark of a body, or null when it carries none. */
    public static String codecOf(SafetensorsHeader header) {
        return header.metadata().get(UpdateCodecs.CODEC_KEY);
    }
}
