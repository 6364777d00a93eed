package io.fedtune.protocol.safetensors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Files beyond 2 GiB, made sparse so the test costs no disk and no time. */
class SafetensorsLargeFileTests {

    private static final long BIG = (1L << 31) + 16;

    @Test
    void tensorsBeyondTwoGibibytesAreMappedAndReadFromTheirOffset(@TempDir Path directory) throws IOException {
        String json = "{\"big\":{\"dtype\":\"U8\",\"shape\":[" + BIG + "],\"data_offsets\":[0," + BIG + "]},"
                + "\"tail\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[" + BIG + "," + (BIG + 16) + "]}}";
        byte[] header = json.getBytes(StandardCharsets.UTF_8);
        Path path = directory.resolve("large.safetensors");
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            channel.write(ByteBuffer.wrap(Bodies.body(header.length, header, new byte[0])));
            ByteBuffer tail = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
            tail.putFloat(1).putFloat(-2).putFloat(3).putFloat(-4).flip();
            channel.write(tail, 8 + header.length + BIG);
        }

        try (SafetensorsFile file = SafetensorsFile.open(path)) {
            assertThat(file.header().totalLength()).isGreaterThan(1L << 31);
            assertThat(file.readFloats("tail")).containsExactly(1, -2, 3, -4);
            assertThat(file.view("tail").getFloat(12)).isEqualTo(-4f);

            TensorInfo big = file.tensor("big");
            assertThatThrownBy(() -> file.view(big))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("tensor 'big' has 2147483664 bytes, more than one buffer holds");
            assertThatThrownBy(() -> file.readBytes("big"))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("too many for a Java array");
            ByteBuffer slice = file.view(big, BIG - 8, 8);
            assertThat(slice.getLong(0)).isZero();
        }
    }
}
