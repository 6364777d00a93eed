package io.fedtune.protocol.safetensors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Hand-made safetensors bodies for tests, and assertions that both readers reject a body. */
final class Bodies {

    private Bodies() {}

    /** An 8-byte little-endian {@code length}, then {@code header}, then {@code data}. */
    static byte[] body(long length, byte[] header, byte[] data) {
        ByteBuffer buffer = ByteBuffer.allocate(8 + header.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        return buffer.putLong(length).put(header).put(data).array();
    }

    /** A body whose length field is right, with {@code dataBytes} zero bytes of data. */
    static byte[] body(String json, int dataBytes) {
        byte[] header = json.getBytes(StandardCharsets.UTF_8);
        return body(header.length, header, new byte[dataBytes]);
    }

    /** Writes {@code bytes} to a file named {@code name} in {@code directory}. */
    static Path file(Path directory, String name, byte[] bytes) {
        try {
            return Files.write(directory.resolve(name), bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Bytes written by {@code writer}. */
    static byte[] bytes(SafetensorsWriter writer) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            writer.writeTo(out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /**
     * Asserts that opening {@code body} as a file and validating it as a stream both fail with a format exception
     * whose message contains every fragment; returns the file reader's exception.
     */
    static SafetensorsFormatException assertRejected(
            Path directory, byte[] body, SafetensorsLimits limits, String... fragments) {
        Path file = file(directory, "hostile.safetensors", body);
        SafetensorsFormatException fromFile = catchThrowableOfType(
                SafetensorsFormatException.class,
                () -> SafetensorsFile.open(file, limits).close());
        assertThat(fromFile).as("file reader must reject the body").isNotNull();
        assertThat(fromFile.getMessage()).startsWith(file.toString()).contains(fragments);

        SafetensorsFormatException fromStream = catchThrowableOfType(
                SafetensorsFormatException.class,
                () -> SafetensorsStreamReader.validate(new ByteArrayInputStream(body), limits));
        assertThat(fromStream).as("stream reader must reject the body").isNotNull();
        assertThat(fromStream.getMessage()).contains(fragments);
        return fromFile;
    }

    static SafetensorsFormatException assertRejected(Path directory, byte[] body, String... fragments) {
        return assertRejected(directory, body, SafetensorsLimits.DEFAULT, fragments);
    }
}
