package io.fedtune.protocol.safetensors;

import io.fedtune.protocol.checksum.ContentDigest;
import io.fedtune.protocol.checksum.Sha256OutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * Writes a safetensors body in one streaming pass: the 8-byte little-endian header length, the JSON header padded with
 * spaces to a multiple of 8, then every tensor's bytes. F32 data can be narrowed to F16 or BF16 on the way out.
 *
 * <p><b>Deterministic layout.</b> The same tensors and metadata always give the same bytes, and the bytes Hugging
 * Face's {@code safetensors} serializer gives: tensors are laid out by decreasing alignment (I64, then F32, I32, BF16,
 * F16, I8, U8, BOOL) and, within a type, by name (compared as UTF-8 bytes), so every tensor starts at a multiple of its
 * element size; {@code __metadata__} comes first in the header with its keys sorted the same way (Hugging Face leaves
 * their order to a hash map; fedtune sorts them).
 *
 * <p>Tensor data is held by reference until written and must not change in between. A writer can be written more
 * than once.
 *
 * <pre>{@code
 * ContentDigest written = new SafetensorsWriter()
 *         .metadata("format", "pt")
 *         .add("base_model.model.layers.0.q_proj.lora_A.weight", loraA)          // F32
 *         .add("base_model.model.layers.0.q_proj.lora_B.weight", loraB, DType.F16)
 *         .writeTo(path);                                                      // temp file + atomic move
 * }</pre>
 */
public final class SafetensorsWriter {

    private static final int CHUNK = 64 * 1024;
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Map<String, Source> tensors = new HashMap<>();
    private final TreeMap<String, String> metadata = new TreeMap<>(HeaderCodec::compareUtf8);
    private boolean hasMetadata;

    /** An empty writer: no tensors, no {@code __metadata__}. */
    public SafetensorsWriter() {}

    /** Adds a {@code __metadata__} entry (the header then has a {@code __metadata__} object, even if empty). */
    public SafetensorsWriter metadata(String key, String value) {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(value, "value");
        HeaderCodec.utf8(key);
        HeaderCodec.utf8(value);
        metadata.put(key, value);
        hasMetadata = true;
        return this;
    }

    /** Adds every entry of {@code entries} to {@code __metadata__}. */
    public SafetensorsWriter metadata(Map<String, String> entries) {
        hasMetadata = true;
        entries.forEach(this::metadata);
        return this;
    }

    /** Adds an F32 tensor. */
    public SafetensorsWriter add(String name, FloatTensor tensor) {
        return add(name, tensor, DType.F32);
    }

    /** Adds a float tensor stored as {@code dtype}: F32 as is, or narrowed to F16 or BF16 (nearest, ties to even). */
    public SafetensorsWriter add(String name, FloatTensor tensor, DType dtype) {
        return addFloats(name, dtype, tensor.shape(), tensor.values());
    }

    /**
     * Adds float values stored as {@code dtype} (F32, F16 or BF16).
     *
     * @throws IllegalArgumentException when a finite value overflows F16 or BF16 (NaN and infinities are kept)
     */
    public SafetensorsWriter addFloats(String name, DType dtype, long[] shape, float[] values) {
        return addFloats(name, dtype, shape, FloatBuffer.wrap(values));
    }

    /**
     * Adds the floats between {@code values}' position and limit (not consumed), stored as {@code dtype} (F32, F16 or
     * BF16).
     *
     * @throws IllegalArgumentException when a finite value overflows F16 or BF16 (NaN and infinities are kept)
     */
    public SafetensorsWriter addFloats(String name, DType dtype, long[] shape, FloatBuffer values) {
        if (!dtype.isFloatingPoint()) {
            throw new IllegalArgumentException(
                    "tensor '" + name + "': floats are stored as F32, F16 or BF16, not " + dtype.wireName());
        }
        FloatBuffer data = values.duplicate();
        requireCount(name, shape, data.remaining());
        int overflow = firstOverflow(dtype, data);
        if (overflow >= 0) {
            float value = data.get(data.position() + overflow);
            throw new IllegalArgumentException("tensor '" + name + "' element " + overflow + " = " + value
                    + " overflows " + dtype.wireName() + " (largest finite "
                    + (dtype == DType.F16 ? Float16.MAX_VALUE : BFloat16.MAX_VALUE) + ")");
        }
        return put(name, new FloatSource(dtype, shape, data));
    }

    /** Adds a tensor from its raw little-endian bytes (between position and limit, not consumed). */
    public SafetensorsWriter addRaw(String name, DType dtype, long[] shape, ByteBuffer littleEndianBytes) {
        ByteBuffer data = littleEndianBytes.duplicate();
        long count = requireCount(name, shape, -1);
        if (count * dtype.byteSize() != data.remaining()) {
            throw new IllegalArgumentException("tensor '" + name + "': " + dtype.wireName() + " shape "
                    + Arrays.toString(shape) + " needs " + count * dtype.byteSize() + " bytes, "
                    + data.remaining() + " given");
        }
        return put(name, new RawSource(dtype, shape, data));
    }

    /** Adds an I64 tensor. */
    public SafetensorsWriter addLongs(String name, long[] shape, long[] values) {
        requireCount(name, shape, values.length);
        return put(name, new LongSource(shape, values));
    }

    /** Adds an I32 tensor. */
    public SafetensorsWriter addInts(String name, long[] shape, int[] values) {
        requireCount(name, shape, values.length);
        return put(name, new IntSource(shape, values));
    }

    /**
     * Adds a one-byte tensor: I8, U8 (the bytes' unsigned values) or BOOL (each byte 0 or 1).
     *
     * @throws IllegalArgumentException when a BOOL byte is neither 0 nor 1
     */
    public SafetensorsWriter addBytes(String name, DType dtype, long[] shape, byte[] values) {
        if (dtype.byteSize() != 1) {
            throw new IllegalArgumentException(
                    "tensor '" + name + "': bytes are stored as I8, U8 or BOOL, not " + dtype.wireName());
        }
        if (dtype == DType.BOOL) {
            for (int i = 0; i < values.length; i++) {
                if (values[i] != 0 && values[i] != 1) {
                    throw new IllegalArgumentException(
                            "BOOL tensor '" + name + "' element " + i + " is " + values[i] + ", not 0 or 1");
                }
            }
        }
        return addRaw(name, dtype, shape, ByteBuffer.wrap(values));
    }

    /** Adds a BOOL tensor. */
    public SafetensorsWriter addBooleans(String name, long[] shape, boolean[] values) {
        requireCount(name, shape, values.length);
        byte[] bytes = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            bytes[i] = values[i] ? (byte) 1 : 0;
        }
        return put(name, new RawSource(DType.BOOL, shape, ByteBuffer.wrap(bytes)));
    }

    /** The tensors as they will be written: in file order, with their offsets in the data section. */
    public List<TensorInfo> layout() {
        List<TensorInfo> unplaced = new ArrayList<>();
        for (Map.Entry<String, Source> entry : tensors.entrySet()) {
            Source source = entry.getValue();
            unplaced.add(new TensorInfo(entry.getKey(), source.dtype(), source.shape(), 0, source.byteSize()));
        }
        unplaced.sort(HeaderCodec.WRITE_ORDER);
        List<TensorInfo> placed = new ArrayList<>(unplaced.size());
        long offset = 0;
        for (TensorInfo tensor : unplaced) {
            long end = Math.addExact(offset, tensor.byteSize());
            placed.add(new TensorInfo(tensor.name(), tensor.dtype(), tensor.shape(), offset, end));
            offset = end;
        }
        return placed;
    }

    /** How many bytes {@link #writeTo(OutputStream)} will write, for a {@code Content-Length}. */
    public long byteCount() {
        List<TensorInfo> layout = layout();
        long data = layout.isEmpty() ? 0 : layout.get(layout.size() - 1).end();
        return 8 + header(layout).length + data;
    }

    /**
     * Writes the body to {@code out} (not closed; flushed) and returns the SHA-256 and length of what was written.
     * When this throws, {@code out} may have received part of the body.
     */
    public ContentDigest writeTo(OutputStream out) throws IOException {
        List<TensorInfo> layout = layout();
        byte[] header = header(layout);
        Sha256OutputStream hashing = new Sha256OutputStream(out);
        ByteBuffer staging = ByteBuffer.allocate(CHUNK).order(ByteOrder.LITTLE_ENDIAN);
        staging.putLong(header.length);
        hashing.write(staging.array(), 0, 8);
        hashing.write(header);
        for (TensorInfo tensor : layout) {
            tensors.get(tensor.name()).write(tensor.name(), staging, hashing);
        }
        hashing.flush();
        long expected = 8
                + header.length
                + (layout.isEmpty() ? 0 : layout.get(layout.size() - 1).end());
        if (hashing.byteCount() != expected) {
            throw new IllegalStateException("wrote " + hashing.byteCount() + " bytes, expected " + expected
                    + ": a tensor's data changed while it was being written");
        }
        return hashing.digest();
    }

    /**
     * Writes the body to {@code target} atomically: to a temporary file in the same directory, forced to disk, then
     * moved over {@code target}. When this throws, {@code target} is untouched and no temporary file is left.
     */
    public ContentDigest writeTo(Path target) throws IOException {
        Path absolute = target.toAbsolutePath();
        Path directory = absolute.getParent();
        Path temporary = directory.resolve(
                "." + absolute.getFileName() + "." + HexFormat.of().toHexDigits(RANDOM.nextLong()) + ".tmp");
        try {
            ContentDigest digest;
            try (FileChannel channel =
                    FileChannel.open(temporary, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                digest = writeTo(Channels.newOutputStream(channel));
                channel.force(true);
            }
            try {
                Files.move(temporary, absolute, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temporary, absolute, StandardCopyOption.REPLACE_EXISTING);
            }
            forceDirectory(directory);
            return digest;
        } catch (IOException | RuntimeException | Error e) {
            try {
                Files.deleteIfExists(temporary);
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    private byte[] header(List<TensorInfo> layout) {
        return HeaderCodec.write(layout, hasMetadata ? metadata : null);
    }

    private static void forceDirectory(Path directory) {
        try (FileChannel channel = FileChannel.open(directory, StandardOpenOption.READ)) {
            channel.force(true);
        } catch (IOException | UnsupportedOperationException e) {
            // Not every platform can sync a directory (Windows cannot); the file itself is already on disk.
        }
    }

    private SafetensorsWriter put(String name, Source source) {
        Objects.requireNonNull(name, "name");
        if (name.isEmpty()) {
            throw new IllegalArgumentException("a tensor name must not be empty");
        }
        if (SafetensorsHeader.METADATA_KEY.equals(name)) {
            throw new IllegalArgumentException("'__metadata__' is reserved and cannot name a tensor");
        }
        HeaderCodec.utf8(name);
        if (tensors.containsKey(name)) {
            throw new IllegalArgumentException("duplicate tensor name '" + name + "'");
        }
        tensors.put(name, source);
        return this;
    }

    /** Checks the shape and returns its element count; {@code given} is the number of values, or -1 to skip. */
    private static long requireCount(String name, long[] shape, long given) {
        for (long dim : shape) {
            if (dim < 0) {
                throw new IllegalArgumentException(
                        "tensor '" + name + "' has a negative dimension in shape " + Arrays.toString(shape));
            }
        }
        long count = TensorInfo.elementCount(shape);
        if (count < 0 || count > Long.MAX_VALUE / 8) {
            throw new IllegalArgumentException(
                    "tensor '" + name + "' shape " + Arrays.toString(shape) + " is too large");
        }
        if (given >= 0 && count != given) {
            throw new IllegalArgumentException("tensor '" + name + "' shape " + Arrays.toString(shape) + " holds "
                    + count + " elements but " + given + " values were given");
        }
        return count;
    }

    private static int firstOverflow(DType dtype, FloatBuffer data) {
        if (dtype == DType.F32) {
            return -1;
        }
        int start = data.position();
        for (int i = start; i < data.limit(); i++) {
            float value = data.get(i);
            if (dtype == DType.F16 ? Float16.overflows(value) : BFloat16.overflows(value)) {
                return i - start;
            }
        }
        return -1;
    }

    // ---------------------------------------------------------------- sources

    private interface Source {
        DType dtype();

        long[] shape();

        long byteSize();

        /** Writes all bytes through {@code staging} (little-endian, {@link #CHUNK} long). */
        void write(String name, ByteBuffer staging, OutputStream out) throws IOException;
    }

    private static void drain(ByteBuffer staging, OutputStream out) throws IOException {
        out.write(staging.array(), 0, staging.position());
        staging.clear();
    }

    private record FloatSource(DType dtype, long[] shape, FloatBuffer data) implements Source {
        FloatSource {
            shape = shape.clone();
        }

        @Override
        public long byteSize() {
            return (long) data.remaining() * dtype.byteSize();
        }

        @Override
        public void write(String name, ByteBuffer staging, OutputStream out) throws IOException {
            staging.clear();
            int end = data.limit();
            int i = data.position();
            if (dtype == DType.F32) {
                while (i < end) {
                    int n = Math.min(end - i, CHUNK / 4);
                    staging.asFloatBuffer().put(data.duplicate().position(i).limit(i + n));
                    staging.position(n * 4);
                    drain(staging, out);
                    i += n;
                }
                return;
            }
            while (i < end) {
                int n = Math.min(end - i, CHUNK / 2);
                for (int j = 0; j < n; j++) {
                    float value = data.get(i + j);
                    short bits;
                    if (dtype == DType.F16) {
                        if (Float16.overflows(value)) {
                            throw new IllegalStateException(
                                    "tensor '" + name + "' changed after it was added: " + value + " overflows F16");
                        }
                        bits = Float16.fromFloat(value);
                    } else {
                        bits = BFloat16.fromFloat(value);
                    }
                    staging.putShort(bits);
                }
                drain(staging, out);
                i += n;
            }
        }
    }

    private record RawSource(DType dtype, long[] shape, ByteBuffer data) implements Source {
        RawSource {
            shape = shape.clone();
        }

        @Override
        public long byteSize() {
            return data.remaining();
        }

        @Override
        public void write(String name, ByteBuffer staging, OutputStream out) throws IOException {
            if (data.hasArray()) {
                out.write(data.array(), data.arrayOffset() + data.position(), data.remaining());
                return;
            }
            ByteBuffer source = data.duplicate();
            staging.clear();
            while (source.hasRemaining()) {
                int n = Math.min(source.remaining(), staging.capacity());
                source.get(staging.array(), 0, n);
                staging.position(n);
                drain(staging, out);
            }
        }
    }

    private record LongSource(long[] shape, long[] values) implements Source {
        LongSource {
            shape = shape.clone();
        }

        @Override
        public DType dtype() {
            return DType.I64;
        }

        @Override
        public long byteSize() {
            return (long) values.length * 8;
        }

        @Override
        public void write(String name, ByteBuffer staging, OutputStream out) throws IOException {
            staging.clear();
            for (int i = 0; i < values.length; i += CHUNK / 8) {
                int n = Math.min(values.length - i, CHUNK / 8);
                staging.asLongBuffer().put(values, i, n);
                staging.position(n * 8);
                drain(staging, out);
            }
        }
    }

    private record IntSource(long[] shape, int[] values) implements Source {
        IntSource {
            shape = shape.clone();
        }

        @Override
        public DType dtype() {
            return DType.I32;
        }

        @Override
        public long byteSize() {
            return (long) values.length * 4;
        }

        @Override
        public void write(String name, ByteBuffer staging, OutputStream out) throws IOException {
            staging.clear();
            for (int i = 0; i < values.length; i += CHUNK / 4) {
                int n = Math.min(values.length - i, CHUNK / 4);
                staging.asIntBuffer().put(values, i, n);
                staging.position(n * 4);
                drain(staging, out);
            }
        }
    }
}
