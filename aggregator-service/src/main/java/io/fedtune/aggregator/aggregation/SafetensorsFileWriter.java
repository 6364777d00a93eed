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
        ByteBuffer bytes = ByteBuffer.allocate(length * 4).order(ByteOrder.LITTLE_ENDIAN);
        bytes.asFloatBuffer().put(src, offset, length);
        long position = header.dataStart() + entry.begin() + from * 4;
        while (bytes.hasRemaining()) {
            position += channel.write(bytes, position);
        }
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
