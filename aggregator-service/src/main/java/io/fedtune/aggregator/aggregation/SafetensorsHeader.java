package io.fedtune.aggregator.aggregation;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * The header of a safetensors file: an 8-byte little-endian length, a JSON object naming each tensor's dtype, shape
 * and byte range in the data section, then the data. Only the header is ever held in memory; tensors are read by
 * range. Parsing checks what a hostile upload could get wrong: sizes, overlaps, gaps, ranges past the end.
 *
 * @param tensors the tensors in data order
 * @param metadata the {@code __metadata__} strings
 * @param dataStart the file offset where the data section begins
 */
public record SafetensorsHeader(List<Entry> tensors, Map<String, String> metadata, long dataStart) {

    /** The largest header accepted: adapters have thousands of tensors at most. */
    public static final int MAX_HEADER_BYTES = 16 * 1024 * 1024;

    private static final JsonMapper json = JsonMapper.builder().build();

    /**
     * One tensor of the file.
     *
     * @param name its key
     * @param dtype its safetensors dtype ({@code F32}, {@code F16}, {@code BF16}, {@code I8}, {@code I32}, ...)
     * @param shape its dimensions
     * @param begin its first byte, relative to the data section
     * @param end one past its last byte
     */
    public record Entry(String name, String dtype, int[] shape, long begin, long end) {

        /** Element count. */
        public long elements() {
            long n = 1;
            for (int d : shape) {
                n *= d;
            }
            return n;
        }

        /** The spec (name and shape). */
        public TensorSpec spec() {
            return new TensorSpec(name, shape);
        }
    }

    /** Bytes per element of a dtype, or -1 when unknown. */
    public static int width(String dtype) {
        return switch (dtype) {
            case "F64", "I64", "U64" -> 8;
            case "F32", "I32", "U32" -> 4;
            case "F16", "BF16", "I16", "U16" -> 2;
            case "I8", "U8", "BOOL", "F8_E4M3", "F8_E5M2" -> 1;
            default -> -1;
        };
    }

    /** The tensor with this name, or null. */
    public Entry entry(String name) {
        for (Entry e : tensors) {
            if (e.name.equals(name)) {
                return e;
            }
        }
        return null;
    }

    /** The size the whole file must have. */
    public long fileSize() {
        return dataStart + (tensors.isEmpty() ? 0 : tensors.get(tensors.size() - 1).end);
    }

    /**
     * Reads and checks a header from the start of a stream, leaving the stream at the first data byte.
     *
     * @param totalSize the file's size when known (the data section must end exactly there), or -1
     * @throws InvalidTensorFileException when the bytes are not a well-formed safetensors header
     */
    public static SafetensorsHeader read(InputStream in, long totalSize) throws IOException {
        byte[] lengthBytes = in.readNBytes(8);
        if (lengthBytes.length < 8) {
            throw new InvalidTensorFileException("shorter than a safetensors header");
        }
        long length =
                ByteBuffer.wrap(lengthBytes).order(ByteOrder.LITTLE_ENDIAN).getLong();
        if (length <= 1 || length > MAX_HEADER_BYTES) {
            throw new InvalidTensorFileException("header length " + length + " is out of range");
        }
        byte[] header = in.readNBytes((int) length);
        if (header.length < length) {
            throw new InvalidTensorFileException("truncated header");
        }
        JsonNode root;
        try {
            root = json.readTree(new String(header, StandardCharsets.UTF_8).strip());
        } catch (JacksonException e) {
            throw new InvalidTensorFileException("header is not JSON: " + e.getOriginalMessage());
        }
        if (root == null || !root.isObject()) {
            throw new InvalidTensorFileException("header is not a JSON object");
        }
        Map<String, String> metadata = new LinkedHashMap<>();
        List<Entry> entries = new ArrayList<>();
        for (Map.Entry<String, JsonNode> field : root.properties()) {
            if (field.getKey().equals("__metadata__")) {
                if (!field.getValue().isObject()) {
                    throw new InvalidTensorFileException("__metadata__ is not an object");
                }
                for (Map.Entry<String, JsonNode> m : field.getValue().properties()) {
                    metadata.put(m.getKey(), m.getValue().asString());
                }
                continue;
            }
            entries.add(entry(field.getKey(), field.getValue()));
        }
        entries.sort(Comparator.comparingLong(Entry::begin));
        long expected = 0;
        for (Entry e : entries) {
            if (e.begin != expected) {
                throw new InvalidTensorFileException("tensor '" + e.name + "' does not start where the previous ends");
            }
            expected = e.end;
        }
        long dataStart = 8 + length;
        if (totalSize >= 0 && dataStart + expected != totalSize) {
            throw new InvalidTensorFileException(
                    "data section is " + (totalSize - dataStart) + " bytes but the header describes " + expected);
        }
        return new SafetensorsHeader(Collections.unmodifiableList(entries), metadata, dataStart);
    }

    private static Entry entry(String name, JsonNode node) throws InvalidTensorFileException {
        if (!node.isObject()
                || !node.path("dtype").isString()
                || !node.path("shape").isArray()
                || !node.path("data_offsets").isArray()
                || node.path("data_offsets").size() != 2) {
            throw new InvalidTensorFileException("tensor '" + name + "' lacks dtype, shape or data_offsets");
        }
        String dtype = node.get("dtype").asString();
        int width = width(dtype);
        if (width < 0) {
            throw new InvalidTensorFileException("tensor '" + name + "' has unknown dtype " + dtype);
        }
        JsonNode shapeNode = node.get("shape");
        int[] shape = new int[shapeNode.size()];
        long elements = 1;
        for (int i = 0; i < shape.length; i++) {
            JsonNode d = shapeNode.get(i);
            if (!d.canConvertToInt() || d.asInt() < 0) {
                throw new InvalidTensorFileException("tensor '" + name + "' has an invalid shape");
            }
            shape[i] = d.asInt();
            elements = Math.multiplyExact(elements, shape[i]);
        }
        long begin = node.get("data_offsets").get(0).asLong(-1);
        long end = node.get("data_offsets").get(1).asLong(-1);
        if (begin < 0 || end < begin || end - begin != elements * width) {
            throw new InvalidTensorFileException("tensor '" + name + "' has data_offsets that do not fit its shape");
        }
        return new Entry(name, dtype, shape, begin, end);
    }

    /** A header for the given F32 tensors, laid out in order. */
    public static SafetensorsHeader f32(List<TensorSpec> specs, Map<String, String> metadata) {
        List<Entry> entries = new ArrayList<>();
        long offset = 0;
        for (TensorSpec spec : specs) {
            long end = offset + spec.elements() * 4;
            entries.add(new Entry(spec.name(), "F32", spec.shape(), offset, end));
            offset = end;
        }
        byte[] bytes = encode(entries, metadata);
        return new SafetensorsHeader(List.copyOf(entries), Map.copyOf(metadata), 8L + bytes.length);
    }

    /** Writes the length prefix and the JSON header (padded to 8 bytes), as {@link #dataStart()} promises. */
    public void write(OutputStream out) throws IOException {
        byte[] bytes = encode(tensors, metadata);
        if (8L + bytes.length != dataStart) {
            throw new IllegalStateException("header does not match its data start");
        }
        out.write(ByteBuffer.allocate(8)
                .order(ByteOrder.LITTLE_ENDIAN)
                .putLong(bytes.length)
                .array());
        out.write(bytes);
    }

    private static byte[] encode(List<Entry> entries, Map<String, String> metadata) {
        ObjectNode root = json.createObjectNode();
        if (!metadata.isEmpty()) {
            ObjectNode meta = root.putObject("__metadata__");
            metadata.forEach(meta::put);
        }
        for (Entry e : entries) {
            ObjectNode t = root.putObject(e.name);
            t.put("dtype", e.dtype);
            var shape = t.putArray("shape");
            for (int d : e.shape) {
                shape.add(d);
            }
            t.putArray("data_offsets").add(e.begin).add(e.end);
        }
        byte[] raw = json.writeValueAsBytes(root);
        int padded = (raw.length + 7) / 8 * 8;
        byte[] bytes = new byte[padded];
        System.arraycopy(raw, 0, bytes, 0, raw.length);
        for (int i = raw.length; i < padded; i++) {
            bytes[i] = ' ';
        }
        return bytes;
    }
}
