package io.fedtune.trainer.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NpyTests {

    @TempDir
    Path dir;

    @Test
    void readsWhatNumpyWrote() throws Exception {
        Path logits =
                Path.of(getClass().getResource("/fixtures/llama-gqa/logits.npy").toURI());

        float[][] matrix = Npy.read(logits);

        assertThat(matrix).hasNumberOfRows(12);
        assertThat(matrix[0]).hasSize(256);
        assertThat(Arrays.stream(matrix).flatMap(row -> Arrays.stream(box(row))).anyMatch(v -> v != 0))
                .isTrue();
    }

    @Test
    void writesWhatItReadsBackWithANumpyHeaderAlignedTo64Bytes() throws IOException {
        Path file = dir.resolve("out.npy");
        float[][] matrix = {{1.5f, -2f, Float.MIN_VALUE}, {0f, 3.25f, -0f}};

        Npy.write(file, matrix);

        assertThat(Npy.read(file)).isDeepEqualTo(matrix);
        byte[] bytes = Files.readAllBytes(file);
        int headerLength = (bytes[8] & 0xff) | (bytes[9] & 0xff) << 8;
        assertThat((10 + headerLength) % 64).isZero();
        assertThat(new String(bytes, 10, headerLength, StandardCharsets.US_ASCII))
                .startsWith("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }")
                .endsWith("\n");
        assertThat(bytes).hasSize(10 + headerLength + 6 * 4);
        assertThat(dir).isDirectoryNotContaining("glob:**.tmp");
    }

    @Test
    void rejectsSomethingThatIsNotNpy() throws IOException {
        Path file = dir.resolve("bad.npy");
        Files.writeString(file, "hello");

        assertThatThrownBy(() -> Npy.read(file)).isInstanceOf(IOException.class).hasMessageContaining("not a .npy");
    }

    private static Float[] box(float[] row) {
        Float[] boxed = new Float[row.length];
        for (int i = 0; i < row.length; i++) {
            boxed[i] = row[i];
        }
        return boxed;
    }
}
