package io.fedtune.aggregator.aggregation;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;

/**
 * Writes an F32 safetensors file whose layout is fixed up front, so that workers can fill any tensor range in any
 * order with positional writes. The file is a temporary one; the caller moves it into a blob store and deletes it.
 */
public final class SafetensorsFileWriter implements TensorSink, AutoCloseable {

    private final Path path;
    private final FileChannel channel;
    private final SafetensorsHeader header;

    public SafetensorsFileWriter(Path path, List<TensorSpec> tensors, Map<String, String> metadata) throws IOException {
        this.path = path;
        this.header = SafetensorsHeader.f32(tensors, metadata);
        this.channel = FileChannel.open(
                path, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE);
        OutputStream out = Channels.newOutputStream(channel);
        header.write(out);
        out.flush();
    }

    /** Creates a writer on a new temporary file. */
    public static SafetensorsFileWriter temporary(List<TensorSpec> tensors, Map<String, String> metadata)
            throws IOException {
        return new SafetensorsFileWriter(Files.createTempFile("fedtune-adapter-", ".safetensors"), tensors, metadata);
    }

    public Path path() {
        return path;
    }

    public SafetensorsHeader header() {
        return header;
    }

    @Override
    public void write(String tensor, long from, float[] src, int offset, int length) throws IOException {
        SafetensorsHeader.Entry entry = header.entry(tensor);
        if (entry == null || from < 0 || from + length > entry.elements()) {
            throw new IllegalArgumentException("cannot write " + length + " values at " + from + " of " + tensor);
        }
        long position = header.dataStart() + entry.begin() + from * 4;
        for (int done = 0; done < length; ) {
            int n = Math.min(length - done, CHUNK);
            ByteBuffer bytes = buffer(n * 4);
            bytes.asFloatBuffer().put(src, offset + done, n);
            while (bytes.hasRemaining()) {
                position += channel.write(bytes, position);
            }
            done += n;
        }
    }

    /** Each writing thread reuses one direct buffer: no allocation and no extra copy per tile. */
    private static final ThreadLocal<ByteBuffer> BUFFERS = new ThreadLocal<>();

    /** Values per write call. */
    private static final int CHUNK = 1 << 16;

    private static ByteBuffer buffer(int bytes) {
        ByteBuffer buffer = BUFFERS.get();
        if (buffer == null || buffer.capacity() < bytes) {
            buffer = ByteBuffer.allocateDirect(CHUNK * 4).order(ByteOrder.LITTLE_ENDIAN);
            BUFFERS.set(buffer);
        }
        buffer.clear().limit(bytes);
        return buffer;
    }

    /** Writes a whole tensor. */
    public void write(String tensor, float[] values) throws IOException {
        write(tensor, 0, values, 0, values.length);
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
