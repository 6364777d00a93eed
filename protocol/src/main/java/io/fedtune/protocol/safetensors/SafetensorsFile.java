package io.fedtune.protocol.safetensors;

import io.fedtune.protocol.checksum.ContentDigest;
import io.fedtune.protocol.checksum.Sha256;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * A safetensors file opened for random access. Opening reads and validates the whole header (and nothing else);
 * tensors are then served as zero-copy memory-mapped views, mapped one tensor (or slice) at a time so files larger than
 * 2 GiB work, or decoded into primitive arrays with chunked positional reads.
 *
 * <p>Instances are safe for concurrent reads. Views stay valid after {@link #close()}, as mapped buffers do in the JDK.
 *
 * <pre>{@code
 * try (SafetensorsFile file = SafetensorsFile.open(path)) {
 *     for (TensorInfo tensor : file.tensors()) {
 *         ByteBuffer bytes = file.view(tensor);      // little-endian, read-only, no copy
 *         float[] values = file.readFloats(tensor);   // F32, or F16/BF16 widened
 *     }
 * }
 * }</pre>
 */
public final class SafetensorsFile implements Closeable {

    private static final int CHUNK = 1 << 20;

    private final Path path;
    private final FileChannel channel;
    private final SafetensorsHeader header;
    private ContentDigest digest;

    private SafetensorsFile(Path path, FileChannel channel, SafetensorsHeader header) {
        this.path = path;
        this.channel = channel;
        this.header = header;
    }

    /** Opens and validates {@code path} with the {@linkplain SafetensorsLimits#DEFAULT default limits}. */
    public static SafetensorsFile open(Path path) throws IOException {
        return open(path, SafetensorsLimits.DEFAULT);
    }

    /**
     * Opens {@code path} and validates its header and layout against the file's size.
     *
     * @throws SafetensorsFormatException naming the file, the problem and the tensor when the file is malformed
     */
    public static SafetensorsFile open(Path path, SafetensorsLimits limits) throws IOException {
        FileChannel channel = FileChannel.open(path, StandardOpenOption.READ);
        try {
            return new SafetensorsFile(path, channel, readHeader(channel, limits));
        } catch (SafetensorsFormatException e) {
            channel.close();
            throw new SafetensorsFormatException(
                    path + ": " + e.getMessage(), e.tensorName().orElse(null), e);
        } catch (IOException | RuntimeException | Error e) {
            channel.close();
            throw e;
        }
    }

    private static SafetensorsHeader readHeader(FileChannel channel, SafetensorsLimits limits) throws IOException {
        long size = channel.size();
        if (size < 8) {
            throw new SafetensorsFormatException("file holds " + size
                    + " bytes, fewer than the 8-byte header length that starts every safetensors" + " file");
        }
        ByteBuffer lengthField = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        readFully(channel, lengthField, 0);
        long headerLength = lengthField.flip().getLong();
        if (headerLength < 0 || headerLength > limits.maxHeaderBytes()) {
            throw new SafetensorsFormatException("header length " + Long.toUnsignedString(headerLength)
                    + " exceeds the limit of " + limits.maxHeaderBytes() + " bytes");
        }
        if (headerLength > size - 8) {
            throw new SafetensorsFormatException("header length " + headerLength
                    + " runs beyond the end of the file, which holds only " + (size - 8)
                    + " bytes after the length field");
        }
        long dataLength = size - 8 - headerLength;
        if (dataLength > limits.maxDataBytes()) {
            throw new SafetensorsFormatException("data section of " + dataLength + " bytes exceeds the limit of "
                    + limits.maxDataBytes() + " bytes");
        }
        ByteBuffer json = ByteBuffer.allocate((int) headerLength);
        readFully(channel, json, 8);
        return HeaderCodec.parse(json.array(), dataLength, limits);
    }

    private static void readFully(FileChannel channel, ByteBuffer buffer, long position) throws IOException {
        long at = position;
        while (buffer.hasRemaining()) {
            int n = channel.read(buffer, at);
            if (n < 0) {
                throw new SafetensorsFormatException("truncated file: it ended at byte " + at + " while reading");
            }
            at += n;
        }
    }

    /** The file this was opened from. */
    public Path path() {
        return path;
    }

    /** The validated header. */
    public SafetensorsHeader header() {
        return header;
    }

    /** The tensors in file order. */
    public List<TensorInfo> tensors() {
        return header.tensors();
    }

    /** The {@code __metadata__} map; empty when the file has none. */
    public Map<String, String> metadata() {
        return header.metadata();
    }

    /**
     * The tensor of that name.
     *
     * @throws java.util.NoSuchElementException naming the tensor when there is none
     */
    public TensorInfo tensor(String name) {
        return header.tensor(name);
    }

    /**
     * A read-only little-endian view of the tensor's bytes, memory-mapped without copying: what DJL's {@code
     * manager.create(buffer, shape, dtype)} takes.
     *
     * @throws IllegalArgumentException when the tensor is larger than one buffer can be (2 GiB); use {@link
     *     #view(TensorInfo, long, int)} for slices
     */
    public ByteBuffer view(String name) throws IOException {
        return view(header.tensor(name));
    }

    /** A read-only little-endian mapped view of {@code tensor}'s bytes; see {@link #view(String)}. */
    public ByteBuffer view(TensorInfo tensor) throws IOException {
        if (tensor.byteSize() > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("tensor '" + tensor.name() + "' has " + tensor.byteSize()
                    + " bytes, more than one buffer holds (2 GiB); map it in slices with view(tensor, offset, length)");
        }
        return view(tensor, 0, (int) tensor.byteSize());
    }

    /**
     * A read-only little-endian mapped view of {@code length} bytes of {@code tensor}, from {@code offset} bytes into
     * it: the way to reach tensors larger than 2 GiB.
     */
    public ByteBuffer view(TensorInfo tensor, long offset, int length) throws IOException {
        requireOwn(tensor);
        if (offset < 0 || length < 0 || offset > tensor.byteSize() - length) {
            throw new IndexOutOfBoundsException("slice [" + offset + ", " + (offset + length) + ") is outside tensor '"
                    + tensor.name() + "' of " + tensor.byteSize() + " bytes");
        }
        if (length == 0) {
            return ByteBuffer.allocate(0).order(ByteOrder.LITTLE_ENDIAN).asReadOnlyBuffer();
        }
        return channel.map(FileChannel.MapMode.READ_ONLY, header.dataOffset() + tensor.begin() + offset, length)
                .order(ByteOrder.LITTLE_ENDIAN);
    }

    /** The values of an F32 tensor, or of an F16 or BF16 tensor widened exactly to F32. */
    public float[] readFloats(String name) throws IOException {
        return readFloats(header.tensor(name));
    }

    /** The values of {@code tensor} as floats; see {@link #readFloats(String)}. */
    public float[] readFloats(TensorInfo tensor) throws IOException {
        requireType(tensor, Elements.readsAsFloats(tensor.dtype()), "readFloats needs F32, F16 or BF16");
        float[] values = new float[arrayLength(tensor)];
        int[] filled = {0};
        readChunks(tensor, chunk -> {
            int count = chunk.remaining() / tensor.dtype().byteSize();
            Elements.floats(tensor.dtype(), chunk, values, filled[0], count);
            filled[0] += count;
        });
        return values;
    }

    /** The tensor as a {@link FloatTensor}: its shape and {@link #readFloats(String)}. */
    public FloatTensor readFloatTensor(String name) throws IOException {
        TensorInfo tensor = header.tensor(name);
        return new FloatTensor(tensor.shape(), readFloats(tensor));
    }

    /** The values of an I64 tensor, or of an I32, I8 or U8 tensor widened to long. */
    public long[] readLongs(String name) throws IOException {
        TensorInfo tensor = header.tensor(name);
        requireType(tensor, Elements.readsAsLongs(tensor.dtype()), "readLongs needs I64, I32, I8 or U8");
        long[] values = new long[arrayLength(tensor)];
        int[] filled = {0};
        readChunks(tensor, chunk -> {
            int count = chunk.remaining() / tensor.dtype().byteSize();
            Elements.longs(tensor.dtype(), chunk, values, filled[0], count);
            filled[0] += count;
        });
        return values;
    }

    /** The values of an I32 tensor, or of an I8 or U8 tensor widened to int. */
    public int[] readInts(String name) throws IOException {
        TensorInfo tensor = header.tensor(name);
        requireType(tensor, Elements.readsAsInts(tensor.dtype()), "readInts needs I32, I8 or U8");
        int[] values = new int[arrayLength(tensor)];
        int[] filled = {0};
        readChunks(tensor, chunk -> {
            int count = chunk.remaining() / tensor.dtype().byteSize();
            Elements.ints(tensor.dtype(), chunk, values, filled[0], count);
            filled[0] += count;
        });
        return values;
    }

    /** The raw little-endian bytes of any tensor, copied; for I8 and U8 these are the values. */
    public byte[] readBytes(String name) throws IOException {
        TensorInfo tensor = header.tensor(name);
        if (tensor.byteSize() > Elements.MAX_ARRAY_LENGTH) {
            throw new IllegalArgumentException(
                    "tensor '" + name + "' has " + tensor.byteSize() + " bytes, too many for a Java array");
        }
        byte[] bytes = new byte[(int) tensor.byteSize()];
        int[] filled = {0};
        readChunks(tensor, chunk -> {
            int count = chunk.remaining();
            chunk.get(bytes, filled[0], count);
            filled[0] += count;
        });
        return bytes;
    }

    /**
     * The values of a BOOL tensor.
     *
     * @throws SafetensorsFormatException when a byte is neither 0 nor 1
     */
    public boolean[] readBooleans(String name) throws IOException {
        TensorInfo tensor = header.tensor(name);
        requireType(tensor, tensor.dtype() == DType.BOOL, "readBooleans needs BOOL");
        boolean[] values = new boolean[arrayLength(tensor)];
        int[] filled = {0};
        readChunks(tensor, chunk -> {
            int count = chunk.remaining();
            int bad = Elements.booleans(chunk, values, filled[0], count);
            if (bad >= 0) {
                throw new SafetensorsFormatException(
                        "BOOL tensor '" + name + "' element " + (filled[0] + bad) + " is neither 0 nor 1", name);
            }
            filled[0] += count;
        });
        return values;
    }

    /**
     * SHA-256 of the whole file, streamed through a fixed-size buffer on first call and cached; {@code byteCount} is
     * the file's size.
     */
    public synchronized ContentDigest sha256() throws IOException {
        if (digest == null) {
            digest = Sha256.of(channel, 0, channel.size());
        }
        return digest;
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }

    @Override
    public String toString() {
        return "SafetensorsFile[" + path + ", " + header.size() + " tensors]";
    }

    private interface ChunkConsumer {
        void accept(ByteBuffer chunk) throws IOException;
    }

    private void readChunks(TensorInfo tensor, ChunkConsumer consumer) throws IOException {
        requireOwn(tensor);
        ByteBuffer buffer =
                Elements.chunkBuffer(tensor.byteSize(), tensor.dtype().byteSize(), CHUNK);
        long position = header.dataOffset() + tensor.begin();
        long remaining = tensor.byteSize();
        while (remaining > 0) {
            buffer.clear();
            buffer.limit((int) Math.min(buffer.capacity(), remaining));
            readFully(channel, buffer, position);
            buffer.flip();
            consumer.accept(buffer);
            position += buffer.limit();
            remaining -= buffer.limit();
        }
    }

    private void requireOwn(TensorInfo tensor) {
        if (!tensor.equals(header.find(tensor.name()).orElse(null))) {
            throw new IllegalArgumentException("tensor " + tensor + " is not one of " + path);
        }
    }

    private static void requireType(TensorInfo tensor, boolean ok, String need) throws SafetensorsFormatException {
        if (!ok) {
            throw new SafetensorsFormatException(
                    "tensor '" + tensor.name() + "' is " + tensor.dtype().wireName() + "; " + need, tensor.name());
        }
    }

    private static int arrayLength(TensorInfo tensor) {
        long count = tensor.elementCount();
        if (count > Elements.MAX_ARRAY_LENGTH) {
            throw new IllegalArgumentException("tensor '" + tensor.name() + "' " + Arrays.toString(tensor.shape())
                    + " has " + count + " elements, too many for a Java array; use view(tensor, offset, length)");
        }
        return (int) count;
    }
}
