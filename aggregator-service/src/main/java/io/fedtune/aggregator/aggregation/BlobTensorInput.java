package io.fedtune.aggregator.aggregation;

import io.fedtune.blobstore.BlobStore;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A safetensors file in a {@link BlobStore}, read by ranged gets: only the header is in memory, values stream through
 * a small buffer and are widened to F32 (F32 and F16 stored values; other encodings are decoded upstream).
 */
public final class BlobTensorInput implements TensorInput {

    private static final int BUFFER_BYTES = 1 << 16;

    private final BlobStore store;
    private final String key;
    private final SafetensorsHeader header;

    public BlobTensorInput(BlobStore store, String key, SafetensorsHeader header) {
        this.store = store;
        this.key = key;
        this.header = header;
    }

    /** Opens a blob and reads its header. */
    public static BlobTensorInput open(BlobStore store, String key) throws IOException {
        long size = store.size(key).orElseThrow(() -> new io.fedtune.blobstore.NoSuchBlobException(key));
        try (InputStream in = store.get(key, 0, Math.min(size, 8L + SafetensorsHeader.MAX_HEADER_BYTES))) {
            return new BlobTensorInput(store, key, SafetensorsHeader.read(in, size));
        }
    }

    public SafetensorsHeader header() {
        return header;
    }

    public String key() {
        return key;
    }

    @Override
    public int[] shape(String tensor) {
        SafetensorsHeader.Entry entry = header.entry(tensor);
        return entry == null ? null : entry.shape();
    }

    /** A tensor's stored bytes as they are (any dtype), streamed by a ranged get. */
    public InputStream bytes(String tensor) throws IOException {
        SafetensorsHeader.Entry entry = header.entry(tensor);
        if (entry == null) {
            throw new IllegalArgumentException("no tensor " + tensor + " in " + key);
        }
        return store.get(key, header.dataStart() + entry.begin(), entry.end() - entry.begin());
    }

    @Override
    public FloatReader open(String tensor, long from, long count) throws IOException {
        SafetensorsHeader.Entry entry = header.entry(tensor);
        if (entry == null) {
            throw new IllegalArgumentException("no tensor " + tensor + " in " + key);
        }
        if (from < 0 || count < 0 || from + count > entry.elements()) {
            throw new IllegalArgumentException("range outside " + tensor);
        }
        int width = SafetensorsHeader.width(entry.dtype());
        long start = header.dataStart() + entry.begin() + from * width;
        if (entry.dtype().equals("F32")) {
            java.util.Optional<java.nio.file.Path> file = localFile();
            if (file.isPresent()) {
                return mapped(file.get(), start, count);
            }
        }
        InputStream in = store.get(key, start, count * width);
        return switch (entry.dtype()) {
            case "F32" ->
                new Decoder(in, 4) {
                    @Override
                    void decode(ByteBuffer bytes, float[] dst, int offset, int n) {
                        bytes.asFloatBuffer().get(dst, offset, n);
                    }
                };
            case "F16" ->
                new Decoder(in, 2) {
                    @Override
                    void decode(ByteBuffer bytes, float[] dst, int offset, int n) {
                        for (int i = 0; i < n; i++) {
                            dst[offset + i] = HalfFloat.toFloat(bytes.getShort(i * 2));
                        }
                    }
                };
            case "BF16" ->
                new Decoder(in, 2) {
                    @Override
                    void decode(ByteBuffer bytes, float[] dst, int offset, int n) {
                        for (int i = 0; i < n; i++) {
                            dst[offset + i] = Float.intBitsToFloat((bytes.getShort(i * 2) & 0xffff) << 16);
                        }
                    }
                };
            default -> {
                in.close();
                throw new InvalidTensorFileException("tensor " + tensor + " has dtype " + entry.dtype()
                        + ", which cannot be read as floating point");
            }
        };
    }

    /** Where the blob lies on this machine, asked of the store once (null until first needed). */
    private volatile java.util.Optional<java.nio.file.Path> local;

    private java.util.Optional<java.nio.file.Path> localFile() throws IOException {
        java.util.Optional<java.nio.file.Path> file = local;
        if (file == null) {
            file = store.localFile(key);
            local = file;
        }
        return file;
    }

    /** The whole file, mapped once and shared by every reader of this input (null until first needed). */
    private volatile java.nio.MappedByteBuffer mapping;

    /**
     * F32 values of a local file, memory-mapped: one mapping per file for all readers and threads (no mapping set up
     * and torn down per range), one bulk copy per tile out of the page cache. Files of 2 GiB or more are mapped per
     * range.
     */
    private FloatReader mapped(java.nio.file.Path file, long start, long count) throws IOException {
        java.nio.FloatBuffer floats;
        java.nio.MappedByteBuffer whole = mapping;
        if (whole == null && header.fileSize() < Integer.MAX_VALUE) {
            synchronized (this) {
                if (mapping == null) {
                    try (java.nio.channels.FileChannel channel =
                            java.nio.channels.FileChannel.open(file, java.nio.file.StandardOpenOption.READ)) {
                        if (channel.size() != header.fileSize()) {
                            throw new EOFException("blob " + key + " changed size");
                        }
                        mapping = channel.map(java.nio.channels.FileChannel.MapMode.READ_ONLY, 0, channel.size());
                    }
                }
                whole = mapping;
            }
        }
        if (whole != null) {
            floats = whole.duplicate()
                    .position(Math.toIntExact(start))
                    .limit(Math.toIntExact(start + count * 4))
                    .slice()
                    .order(ByteOrder.LITTLE_ENDIAN)
                    .asFloatBuffer();
        } else {
            try (java.nio.channels.FileChannel channel =
                    java.nio.channels.FileChannel.open(file, java.nio.file.StandardOpenOption.READ)) {
                floats = channel.map(java.nio.channels.FileChannel.MapMode.READ_ONLY, start, count * 4)
                        .order(ByteOrder.LITTLE_ENDIAN)
                        .asFloatBuffer();
            }
        }
        java.nio.FloatBuffer view = floats;
        return new FloatReader() {
            @Override
            public void read(float[] dst, int offset, int length) throws IOException {
                if (view.remaining() < length) {
                    throw new EOFException("tensor data ends early");
                }
                view.get(dst, offset, length);
            }

            @Override
            public void close() {}
        };
    }

    private abstract static class Decoder implements FloatReader {
        private final InputStream in;
        private final int width;
        private final byte[] buffer = new byte[BUFFER_BYTES];
        private final ByteBuffer view = ByteBuffer.wrap(buffer).order(ByteOrder.LITTLE_ENDIAN);

        Decoder(InputStream in, int width) {
            this.in = in;
            this.width = width;
        }

        abstract void decode(ByteBuffer bytes, float[] dst, int offset, int n);

        @Override
        public void read(float[] dst, int offset, int length) throws IOException {
            int perChunk = BUFFER_BYTES / width;
            while (length > 0) {
                int n = Math.min(length, perChunk);
                int bytes = n * width;
                int got = in.readNBytes(buffer, 0, bytes);
                if (got < bytes) {
                    throw new EOFException("tensor data ends early");
                }
                view.clear();
                decode(view, dst, offset, n);
                offset += n;
                length -= n;
            }
        }

        @Override
        public void close() throws IOException {
            in.close();
        }
    }
}
