package io.fedtune.protocol.safetensors;

import io.fedtune.protocol.checksum.ContentDigest;
import io.fedtune.protocol.checksum.Sha256InputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;
import java.util.NoSuchElementException;

/**
 * Reads a safetensors body from a stream in one pass, as a service receives an upload: the header is read and
 * validated first (before any data is accepted), then tensors come in file order, and {@link #finish()} checks that
 * the body ends exactly where the last tensor does and returns its SHA-256.
 *
 * <p>Memory stays bounded by the header limit plus what the caller asks to decode; arrays grow as data arrives, so a
 * header that promises more than the stream holds costs nothing. The reader never closes the stream it was given.
 *
 * <pre>{@code
 * SafetensorsStreamReader reader = SafetensorsStreamReader.open(body, limits);
 * while (reader.hasNext()) {
 *     TensorInfo tensor = reader.next();
 *     float[] values = reader.readFloats();
 * }
 * ContentDigest digest = reader.finish();
 * }</pre>
 */
public final class SafetensorsStreamReader {

    private static final int CHUNK = 64 * 1024;
    private static final int INITIAL_ELEMENTS = 1 << 16;

    private final Sha256InputStream in;
    private final SafetensorsHeader header;
    private final List<TensorInfo> tensors;
    private int nextIndex;
    private TensorInfo current;
    private long currentRead;
    private boolean currentTouched;
    private ContentDigest digest;

    private SafetensorsStreamReader(Sha256InputStream in, SafetensorsHeader header) {
        this.in = in;
        this.header = header;
        this.tensors = header.tensors();
    }

    /** Reads and validates the header of {@code in} with the {@linkplain SafetensorsLimits#DEFAULT default limits}. */
    public static SafetensorsStreamReader open(InputStream in) throws IOException {
        return open(in, SafetensorsLimits.DEFAULT);
    }

    /**
     * Reads and validates the header of {@code in}: its length against the limit before anything is allocated, then
     * the JSON, the tensors' layout and the declared data size against {@link SafetensorsLimits#maxDataBytes()}.
     */
    public static SafetensorsStreamReader open(InputStream in, SafetensorsLimits limits) throws IOException {
        Sha256InputStream hashing = new Sha256InputStream(new NonClosing(in));
        byte[] lengthField = hashing.readNBytes(8);
        if (lengthField.length < 8) {
            throw new SafetensorsFormatException("stream ended after " + lengthField.length
                    + " bytes, before the 8-byte header length that starts every safetensors body");
        }
        long headerLength =
                ByteBuffer.wrap(lengthField).order(ByteOrder.LITTLE_ENDIAN).getLong();
        if (headerLength < 0 || headerLength > limits.maxHeaderBytes()) {
            throw new SafetensorsFormatException("header length " + Long.toUnsignedString(headerLength)
                    + " exceeds the limit of " + limits.maxHeaderBytes() + " bytes");
        }
        byte[] json = hashing.readNBytes((int) headerLength);
        if (json.length < headerLength) {
            throw new SafetensorsFormatException("header length " + headerLength
                    + " runs beyond the end of the stream, which held only " + json.length
                    + " bytes after the length field");
        }
        return new SafetensorsStreamReader(hashing, HeaderCodec.parse(json, -1, limits));
    }

    /**
     * Validates a whole body: header, layout, and that the data is exactly as long as declared. Returns its header,
     * SHA-256 and length. Does not close {@code in}.
     */
    public static SafetensorsSummary validate(InputStream in, SafetensorsLimits limits) throws IOException {
        SafetensorsStreamReader reader = open(in, limits);
        ContentDigest digest = reader.finish();
        return new SafetensorsSummary(reader.header(), digest);
    }

    /**
     * Copies a body from {@code in} to {@code out} while validating it, as a service streams an upload into storage.
     * When this throws, {@code out} has received part of the body: write to a temporary place and discard it.
     */
    public static SafetensorsSummary copy(InputStream in, OutputStream out, SafetensorsLimits limits)
            throws IOException {
        return validate(new Tee(in, out), limits);
    }

    /** The validated header. */
    public SafetensorsHeader header() {
        return header;
    }

    /** Whether another tensor follows the current one. */
    public boolean hasNext() {
        return nextIndex < tensors.size();
    }

    /**
     * Moves to the next tensor in file order, skipping whatever of the current one was not read.
     *
     * @throws NoSuchElementException when there is none
     */
    public TensorInfo next() throws IOException {
        if (!hasNext()) {
            throw new NoSuchElementException("all " + tensors.size() + " tensors were read");
        }
        skipCurrent();
        current = tensors.get(nextIndex++);
        currentRead = 0;
        currentTouched = false;
        return current;
    }

    /** The tensor {@link #next()} last returned. */
    public TensorInfo current() {
        if (current == null) {
            throw new IllegalStateException("call next() first");
        }
        return current;
    }

    /**
     * The current tensor's bytes as a stream that ends with the tensor (closing it does nothing). Bytes read from it
     * are hashed like the rest of the body.
     */
    public InputStream data() {
        current();
        currentTouched = true;
        return new InputStream() {
            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                return read(one, 0, 1) < 0 ? -1 : one[0] & 0xFF;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                long left = current.byteSize() - currentRead;
                if (left == 0) {
                    return -1;
                }
                if (len == 0) {
                    return 0;
                }
                int n = in.read(b, off, (int) Math.min(len, left));
                if (n < 0) {
                    throw truncated();
                }
                currentRead += n;
                return n;
            }
        };
    }

    /** The current tensor's values: F32, or F16/BF16 widened to F32. */
    public float[] readFloats() throws IOException {
        TensorInfo tensor =
                startWholeRead(Elements.readsAsFloats(current().dtype()), "readFloats needs F32, F16 or BF16");
        float[][] values = {new float[initialLength(tensor)]};
        int[] filled = {0};
        readChunks(tensor, chunk -> {
            int count = chunk.remaining() / tensor.dtype().byteSize();
            values[0] = ensure(values[0], filled[0] + count, tensor);
            Elements.floats(tensor.dtype(), chunk, values[0], filled[0], count);
            filled[0] += count;
        });
        return values[0];
    }

    /** The current tensor as a {@link FloatTensor}. */
    public FloatTensor readFloatTensor() throws IOException {
        long[] shape = current().shape();
        return new FloatTensor(shape, readFloats());
    }

    /** The current tensor's values: I64, or I32/I8/U8 widened to long. */
    public long[] readLongs() throws IOException {
        TensorInfo tensor =
                startWholeRead(Elements.readsAsLongs(current().dtype()), "readLongs needs I64, I32, I8 or U8");
        long[][] values = {new long[initialLength(tensor)]};
        int[] filled = {0};
        readChunks(tensor, chunk -> {
            int count = chunk.remaining() / tensor.dtype().byteSize();
            values[0] = ensure(values[0], filled[0] + count, tensor);
            Elements.longs(tensor.dtype(), chunk, values[0], filled[0], count);
            filled[0] += count;
        });
        return values[0];
    }

    /** The current tensor's values: I32, or I8/U8 widened to int. */
    public int[] readInts() throws IOException {
        TensorInfo tensor = startWholeRead(Elements.readsAsInts(current().dtype()), "readInts needs I32, I8 or U8");
        int[][] values = {new int[initialLength(tensor)]};
        int[] filled = {0};
        readChunks(tensor, chunk -> {
            int count = chunk.remaining() / tensor.dtype().byteSize();
            values[0] = ensure(values[0], filled[0] + count, tensor);
            Elements.ints(tensor.dtype(), chunk, values[0], filled[0], count);
            filled[0] += count;
        });
        return values[0];
    }

    /** The current tensor's raw little-endian bytes; for I8 and U8 these are the values. */
    public byte[] readBytes() throws IOException {
        TensorInfo tensor = startWholeRead(true, "");
        if (tensor.byteSize() > Elements.MAX_ARRAY_LENGTH) {
            throw new IllegalArgumentException(
                    "tensor '" + tensor.name() + "' has " + tensor.byteSize() + " bytes, too many for a Java array");
        }
        byte[][] values = {new byte[(int) Math.min(tensor.byteSize(), INITIAL_ELEMENTS)]};
        int[] filled = {0};
        readChunks(tensor, chunk -> {
            int count = chunk.remaining();
            if (values[0].length < filled[0] + count) {
                values[0] = Arrays.copyOf(values[0], (int)
                        Math.min(tensor.byteSize(), Math.max(2L * values[0].length, filled[0] + count)));
            }
            chunk.get(values[0], filled[0], count);
            filled[0] += count;
        });
        return values[0];
    }

    /**
     * The current tensor's values as booleans.
     *
     * @throws SafetensorsFormatException when a byte is neither 0 nor 1
     */
    public boolean[] readBooleans() throws IOException {
        TensorInfo tensor = startWholeRead(current().dtype() == DType.BOOL, "readBooleans needs BOOL");
        boolean[][] values = {new boolean[initialLength(tensor)]};
        int[] filled = {0};
        readChunks(tensor, chunk -> {
            int count = chunk.remaining();
            if (values[0].length < filled[0] + count) {
                values[0] = Arrays.copyOf(values[0], (int)
                        Math.min(tensor.elementCount(), Math.max(2L * values[0].length, filled[0] + count)));
            }
            int bad = Elements.booleans(chunk, values[0], filled[0], count);
            if (bad >= 0) {
                throw new SafetensorsFormatException(
                        "BOOL tensor '" + tensor.name() + "' element " + (filled[0] + bad) + " is neither 0 nor 1",
                        tensor.name());
            }
            filled[0] += count;
        });
        return values[0];
    }

    /**
     * Reads (and hashes) whatever is left, checks that the body ends exactly after the last tensor, and returns the
     * SHA-256 and length of the whole body. Calling it again returns the same digest.
     *
     * @throws SafetensorsFormatException when data is missing or bytes follow the last tensor
     */
    public ContentDigest finish() throws IOException {
        if (digest != null) {
            return digest;
        }
        skipCurrent();
        while (hasNext()) {
            next();
            skipCurrent();
        }
        if (in.read() >= 0) {
            throw new SafetensorsFormatException("trailing bytes after the data section, which the header declares "
                    + header.dataLength() + " bytes long");
        }
        digest = in.digest();
        return digest;
    }

    /** The digest once {@link #finish()} has run. */
    public ContentDigest digest() {
        if (digest == null) {
            throw new IllegalStateException("call finish() first");
        }
        return digest;
    }

    // ---------------------------------------------------------------- internals

    private interface ChunkConsumer {
        void accept(ByteBuffer chunk) throws IOException;
    }

    private TensorInfo startWholeRead(boolean typeOk, String need) throws SafetensorsFormatException {
        TensorInfo tensor = current();
        if (currentTouched) {
            throw new IllegalStateException("tensor '" + tensor.name() + "' was already read");
        }
        if (!typeOk) {
            throw new SafetensorsFormatException(
                    "tensor '" + tensor.name() + "' is " + tensor.dtype().wireName() + "; " + need, tensor.name());
        }
        if (tensor.elementCount() > Elements.MAX_ARRAY_LENGTH) {
            throw new IllegalArgumentException("tensor '" + tensor.name() + "' has " + tensor.elementCount()
                    + " elements, too many for a Java array; stream it with data()");
        }
        currentTouched = true;
        return tensor;
    }

    private void readChunks(TensorInfo tensor, ChunkConsumer consumer) throws IOException {
        ByteBuffer buffer =
                Elements.chunkBuffer(tensor.byteSize(), tensor.dtype().byteSize(), CHUNK);
        byte[] array = buffer.array();
        while (currentRead < tensor.byteSize()) {
            int want = (int) Math.min(array.length, tensor.byteSize() - currentRead);
            int got = in.readNBytes(array, 0, want);
            currentRead += got;
            if (got < want) {
                throw truncated();
            }
            buffer.clear().limit(want);
            consumer.accept(buffer);
        }
    }

    private void skipCurrent() throws IOException {
        if (current == null) {
            return;
        }
        long left = current.byteSize() - currentRead;
        if (left > 0) {
            long skipped = in.skip(left);
            currentRead += skipped;
            if (skipped < left) {
                throw truncated();
            }
        }
        currentTouched = true;
    }

    private SafetensorsFormatException truncated() {
        return new SafetensorsFormatException(
                "truncated data: the stream ended " + currentRead + " bytes into tensor '" + current.name()
                        + "', which needs " + current.byteSize() + " bytes",
                current.name());
    }

    private static int initialLength(TensorInfo tensor) {
        return (int) Math.min(tensor.elementCount(), INITIAL_ELEMENTS);
    }

    private static float[] ensure(float[] values, int needed, TensorInfo tensor) {
        return values.length >= needed ? values : Arrays.copyOf(values, grow(values.length, needed, tensor));
    }

    private static long[] ensure(long[] values, int needed, TensorInfo tensor) {
        return values.length >= needed ? values : Arrays.copyOf(values, grow(values.length, needed, tensor));
    }

    private static int[] ensure(int[] values, int needed, TensorInfo tensor) {
        return values.length >= needed ? values : Arrays.copyOf(values, grow(values.length, needed, tensor));
    }

    private static int grow(int length, int needed, TensorInfo tensor) {
        return (int) Math.min(tensor.elementCount(), Math.max(2L * length, needed));
    }

    /** Keeps the reader from closing the caller's stream through the hashing wrapper. */
    private static final class NonClosing extends FilterInputStream {
        NonClosing(InputStream in) {
            super(in);
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            return in.read(b, off, len);
        }

        @Override
        public void close() {}
    }

    /** Copies every byte read to a sink. */
    private static final class Tee extends FilterInputStream {
        private final OutputStream sink;

        Tee(InputStream in, OutputStream sink) {
            super(in);
            this.sink = sink;
        }

        @Override
        public int read() throws IOException {
            int b = in.read();
            if (b >= 0) {
                sink.write(b);
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = in.read(b, off, len);
            if (n > 0) {
                sink.write(b, off, n);
            }
            return n;
        }

        @Override
        public long skip(long n) throws IOException {
            byte[] buffer = new byte[(int) Math.min(Math.max(n, 0), 8192)];
            long skipped = 0;
            while (skipped < n) {
                int r = read(buffer, 0, (int) Math.min(buffer.length, n - skipped));
                if (r < 0) {
                    break;
                }
                skipped += r;
            }
            return skipped;
        }
    }
}
