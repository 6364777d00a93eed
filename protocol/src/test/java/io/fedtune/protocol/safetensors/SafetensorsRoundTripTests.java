package io.fedtune.protocol.safetensors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.offset;

import io.fedtune.protocol.checksum.ContentDigest;
import io.fedtune.protocol.checksum.Sha256;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsRoundTripTests {

    @TempDir
    Path directory;

    private static final float[] FLOATS = {1.5f, -2.25f, 0f, -0f, 1e-3f, 3.0e4f, 6.1e-5f, 1f / 3};
    private static final long[] LONGS = {Long.MIN_VALUE, -1, 0, 1, Long.MAX_VALUE, 42};
    private static final int[] INTS = {Integer.MIN_VALUE, -7, 0, 7, Integer.MAX_VALUE, 9};
    private static final byte[] BYTES = {-128, -1, 0, 1, 127, 5};
    private static final boolean[] BOOLEANS = {true, false, false, true, true, false};

    private SafetensorsWriter everyDtype() {
        return new SafetensorsWriter()
                .addFloats("f32", DType.F32, new long[] {2, 4}, FLOATS)
                .addFloats("f16", DType.F16, new long[] {2, 4}, FLOATS)
                .addFloats("bf16", DType.BF16, new long[] {8}, FLOATS)
                .addLongs("i64", new long[] {3, 2}, LONGS)
                .addInts("i32", new long[] {6}, INTS)
                .addBytes("i8", DType.I8, new long[] {2, 3}, BYTES)
                .addBytes("u8", DType.U8, new long[] {6}, BYTES)
                .addBooleans("bool", new long[] {1, 6}, BOOLEANS);
    }

    private static float[] expectedF16() {
        float[] expected = new float[FLOATS.length];
        for (int i = 0; i < expected.length; i++) {
            expected[i] = Float16.toFloat(Float16.fromFloat(FLOATS[i]));
        }
        return expected;
    }

    private static float[] expectedBf16() {
        float[] expected = new float[FLOATS.length];
        for (int i = 0; i < expected.length; i++) {
            expected[i] = BFloat16.toFloat(BFloat16.fromFloat(FLOATS[i]));
        }
        return expected;
    }

    @Test
    void everyDtypeSurvivesARoundTripThroughAFile() throws IOException {
        Path path = directory.resolve("all.safetensors");
        everyDtype().writeTo(path);

        try (SafetensorsFile file = SafetensorsFile.open(path)) {
            assertThat(file.readFloats("f32")).containsExactly(FLOATS);
            assertThat(file.readFloats("f16")).containsExactly(expectedF16());
            assertThat(file.readFloats("bf16")).containsExactly(expectedBf16());
            assertThat(file.readLongs("i64")).containsExactly(LONGS);
            assertThat(file.readInts("i32")).containsExactly(INTS);
            assertThat(file.readBytes("i8")).containsExactly(BYTES);
            assertThat(file.readInts("u8")).containsExactly(128, 255, 0, 1, 127, 5);
            assertThat(file.readLongs("i8")).containsExactly(-128, -1, 0, 1, 127, 5);
            assertThat(file.readBooleans("bool")).containsExactly(BOOLEANS);
            assertThat(file.tensor("i64").shape()).containsExactly(3, 2);
            assertThat(file.tensor("f16").dtype()).isEqualTo(DType.F16);
            assertThat(file.header().hasMetadata()).isFalse();
            assertThat(file.metadata()).isEmpty();
        }
    }

    @Test
    void everyDtypeSurvivesARoundTripThroughAStream() throws IOException {
        byte[] body = Bodies.bytes(everyDtype());
        SafetensorsStreamReader reader = SafetensorsStreamReader.open(new ByteArrayInputStream(body));
        Map<String, Object> values = new LinkedHashMap<>();
        while (reader.hasNext()) {
            TensorInfo tensor = reader.next();
            values.put(
                    tensor.name(),
                    switch (tensor.dtype()) {
                        case F32, F16, BF16 -> reader.readFloats();
                        case I64 -> reader.readLongs();
                        case I32 -> reader.readInts();
                        case I8, U8 -> reader.readBytes();
                        case BOOL -> reader.readBooleans();
                    });
        }
        ContentDigest digest = reader.finish();

        assertThat(values.keySet()).containsExactly("i64", "f32", "i32", "bf16", "f16", "i8", "u8", "bool");
        assertThat((float[]) values.get("f32")).containsExactly(FLOATS);
        assertThat((float[]) values.get("f16")).containsExactly(expectedF16());
        assertThat((float[]) values.get("bf16")).containsExactly(expectedBf16());
        assertThat((long[]) values.get("i64")).containsExactly(LONGS);
        assertThat((int[]) values.get("i32")).containsExactly(INTS);
        assertThat((byte[]) values.get("u8")).containsExactly(BYTES);
        assertThat((boolean[]) values.get("bool")).containsExactly(BOOLEANS);
        assertThat(digest).isEqualTo(new ContentDigest(Sha256.hex(body), body.length));
    }

    @Test
    void rawBuffersAndFloatBuffersAreWrittenFromTheirPositionWithoutBeingConsumed() throws IOException {
        ByteBuffer raw = ByteBuffer.allocateDirect(20).order(ByteOrder.LITTLE_ENDIAN);
        raw.putInt(99).putInt(1).putInt(2).putInt(3).putInt(4).flip().position(4);
        FloatBuffer floats = FloatBuffer.wrap(new float[] {9, 1, 2, 3}).position(1);
        Path path = directory.resolve("buffers.safetensors");
        new SafetensorsWriter()
                .addRaw("raw", DType.I32, new long[] {2, 2}, raw)
                .addFloats("floats", DType.F32, new long[] {3}, floats)
                .writeTo(path);

        assertThat(raw.position()).isEqualTo(4);
        assertThat(floats.position()).isEqualTo(1);
        try (SafetensorsFile file = SafetensorsFile.open(path)) {
            assertThat(file.readInts("raw")).containsExactly(1, 2, 3, 4);
            assertThat(file.readFloats("floats")).containsExactly(1, 2, 3);
        }
    }

    @Test
    void metadataSurvivesTheRoundTripWithCharactersThatNeedEscaping() throws IOException {
        Map<String, String> metadata = new LinkedHashMap<>();
        metadata.put("format", "pt");
        metadata.put("quote\"back\\slash", "line\nbreak\ttab\u0001ctl");
        metadata.put("unicode", "δ-été-😀");
        Path path = directory.resolve("meta.safetensors");
        new SafetensorsWriter()
                .metadata(metadata)
                .add("w", FloatTensor.vector(1, 2))
                .writeTo(path);

        try (SafetensorsFile file = SafetensorsFile.open(path)) {
            assertThat(file.metadata()).containsExactlyInAnyOrderEntriesOf(metadata);
            assertThat(file.header().hasMetadata()).isTrue();
        }
    }

    @Test
    void emptyTensorsWithAZeroSizedDimensionRoundTrip() throws IOException {
        Path path = directory.resolve("empty.safetensors");
        new SafetensorsWriter()
                .add("empty", FloatTensor.zeros(0, 16))
                .addLongs("none", new long[] {4, 0}, new long[0])
                .add("after", FloatTensor.vector(7))
                .writeTo(path);

        try (SafetensorsFile file = SafetensorsFile.open(path)) {
            assertThat(file.tensor("empty").shape()).containsExactly(0, 16);
            assertThat(file.tensor("empty").byteSize()).isZero();
            assertThat(file.readFloats("empty")).isEmpty();
            assertThat(file.readLongs("none")).isEmpty();
            assertThat(file.view("empty").remaining()).isZero();
            assertThat(file.readFloats("after")).containsExactly(7);
        }
        SafetensorsSummary summary =
                SafetensorsStreamReader.validate(Files.newInputStream(path), SafetensorsLimits.DEFAULT);
        assertThat(summary.header().names()).containsExactlyInAnyOrder("empty", "none", "after");
    }

    @Test
    void scalarsHaveAnEmptyShape() throws IOException {
        Path path = directory.resolve("scalar.safetensors");
        new SafetensorsWriter().add("s", FloatTensor.scalar(2.5f)).writeTo(path);

        try (SafetensorsFile file = SafetensorsFile.open(path)) {
            TensorInfo scalar = file.tensor("s");
            assertThat(scalar.shape()).isEmpty();
            assertThat(scalar.rank()).isZero();
            assertThat(scalar.elementCount()).isOne();
            assertThat(file.readFloatTensor("s")).isEqualTo(FloatTensor.scalar(2.5f));
        }
    }

    @Test
    void aViewIsALittleEndianReadOnlyBufferOverTheTensorBytes() throws IOException {
        Path path = directory.resolve("view.safetensors");
        new SafetensorsWriter()
                .addFloats("w", DType.F32, new long[] {2, 2}, new float[] {1, 2, 3, 4})
                .writeTo(path);

        try (SafetensorsFile file = SafetensorsFile.open(path)) {
            ByteBuffer view = file.view("w");
            assertThat(view.isReadOnly()).isTrue();
            assertThat(view.order()).isEqualTo(ByteOrder.LITTLE_ENDIAN);
            assertThat(view.remaining()).isEqualTo(16);
            assertThat(view.getFloat(12)).isEqualTo(4f);
            ByteBuffer slice = file.view(file.tensor("w"), 4, 8);
            assertThat(slice.getFloat(0)).isEqualTo(2f);
            assertThatThrownBy(() -> file.view(file.tensor("w"), 12, 8))
                    .isInstanceOf(IndexOutOfBoundsException.class)
                    .hasMessageContaining("outside tensor 'w'");
        }
    }

    @Test
    void theSameTensorsGiveTheSameBytesWhateverTheOrderTheyWereAddedIn() {
        FloatTensor a = FloatTensor.vector(1, 2, 3);
        FloatTensor b = FloatTensor.vector(4);
        byte[] first = Bodies.bytes(new SafetensorsWriter()
                .metadata("z", "1")
                .metadata("a", "2")
                .add("b", b)
                .add("a", a)
                .addLongs("c", new long[] {1}, new long[] {5}));
        byte[] second = Bodies.bytes(new SafetensorsWriter()
                .addLongs("c", new long[] {1}, new long[] {5})
                .add("a", a)
                .add("b", b)
                .metadata("a", "2")
                .metadata("z", "1"));

        assertThat(second).isEqualTo(first);
    }

    @Test
    void theWriterReportsTheSha256AndLengthOfWhatItWrote() throws IOException {
        SafetensorsWriter writer = everyDtype().metadata("format", "pt");
        Path path = directory.resolve("digest.safetensors");
        ContentDigest toFile = writer.writeTo(path);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ContentDigest toStream = writer.writeTo(out);

        assertThat(toFile).isEqualTo(toStream);
        assertThat(toFile.byteCount()).isEqualTo(Files.size(path)).isEqualTo(writer.byteCount());
        assertThat(toFile).isEqualTo(Sha256.of(path));
        try (SafetensorsFile file = SafetensorsFile.open(path)) {
            assertThat(file.sha256()).isEqualTo(toFile);
        }
    }

    @Test
    void largeTensorsAreWrittenAndReadInChunks() throws IOException {
        float[] values = new float[700_000];
        Random random = new Random(3);
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) random.nextGaussian();
        }
        Path path = directory.resolve("large.safetensors");
        new SafetensorsWriter()
                .add("big", FloatTensor.vector(values))
                .add("half", FloatTensor.vector(values), DType.BF16)
                .writeTo(path);

        try (SafetensorsFile file = SafetensorsFile.open(path)) {
            assertThat(file.readFloats("big")).isEqualTo(values);
            float[] half = file.readFloats("half");
            for (int i = 0; i < values.length; i += 997) {
                assertThat(half[i]).isCloseTo(values[i], offset(Math.abs(values[i]) / 128));
            }
        }
        try (InputStream in = Files.newInputStream(path)) {
            SafetensorsStreamReader reader = SafetensorsStreamReader.open(in);
            reader.next();
            assertThat(reader.readFloats()).isEqualTo(values);
            reader.finish();
        }
    }

    @Test
    void copyingAStreamValidatesItAndPassesEveryByteOn() throws IOException {
        byte[] body = Bodies.bytes(everyDtype());
        ByteArrayOutputStream copy = new ByteArrayOutputStream();
        SafetensorsSummary summary =
                SafetensorsStreamReader.copy(new ByteArrayInputStream(body), copy, SafetensorsLimits.DEFAULT);

        assertThat(copy.toByteArray()).isEqualTo(body);
        assertThat(summary.digest().sha256()).isEqualTo(Sha256.hex(body));
        assertThat(summary.header().totalLength()).isEqualTo(body.length);
    }

    @Test
    void aTensorStreamEndsWithTheTensorAndSkippedTensorsAreStillHashed() throws IOException {
        byte[] body = Bodies.bytes(everyDtype());
        SafetensorsStreamReader reader = SafetensorsStreamReader.open(new ByteArrayInputStream(body));
        reader.next();
        assertThat(reader.current().name()).isEqualTo("i64");
        assertThat(reader.data().readAllBytes()).hasSize(48);
        reader.next();
        assertThat(reader.data().read()).isNotNegative();

        assertThat(reader.finish().sha256()).isEqualTo(Sha256.hex(body));
    }

    @Test
    void writerRejectsBadTensorsWhenTheyAreAdded() {
        SafetensorsWriter writer = new SafetensorsWriter().add("w", FloatTensor.vector(1));
        assertThatThrownBy(() -> writer.add("w", FloatTensor.vector(2)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("duplicate tensor name 'w'");
        assertThatThrownBy(() -> writer.add("__metadata__", FloatTensor.vector(2)))
                .hasMessageContaining("reserved");
        assertThatThrownBy(() -> writer.addFloats("x", DType.F32, new long[] {3}, new float[2]))
                .hasMessageContaining("tensor 'x' shape [3] holds 3 elements but 2 values were given");
        assertThatThrownBy(() -> writer.addFloats("x", DType.F16, new long[] {2}, new float[] {1, 70000}))
                .hasMessageContaining("tensor 'x' element 1 = 70000.0 overflows F16");
        assertThatThrownBy(() -> writer.addBytes("x", DType.BOOL, new long[] {1}, new byte[] {3}))
                .hasMessageContaining("not 0 or 1");
        assertThatThrownBy(() -> writer.addFloats("x", DType.I32, new long[] {1}, new float[1]))
                .hasMessageContaining("F32, F16 or BF16");
        assertThatThrownBy(() -> writer.add("bad\uD800", FloatTensor.vector(1)))
                .hasMessageContaining("unpaired surrogate");
    }

    @Test
    void aFailedWriteLeavesTheTargetUntouchedAndNoTemporaryFile() throws IOException {
        Path target = Files.writeString(directory.resolve("adapter.safetensors"), "previous version");
        float[] values = {1, 2, 3};
        SafetensorsWriter writer = new SafetensorsWriter().add("w", FloatTensor.vector(values), DType.F16);
        values[1] = 1e9f;

        assertThatThrownBy(() -> writer.writeTo(target))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("changed after it was added");
        assertThat(Files.readString(target)).isEqualTo("previous version");
        try (Stream<Path> files = Files.list(directory)) {
            assertThat(files).containsExactly(target);
        }
    }

    @Test
    void aSuccessfulWriteReplacesTheTargetAndLeavesNoTemporaryFile() throws IOException {
        Path target = Files.writeString(directory.resolve("adapter.safetensors"), "previous version");
        new SafetensorsWriter().add("w", FloatTensor.vector(1, 2)).writeTo(target);

        try (SafetensorsFile file = SafetensorsFile.open(target)) {
            assertThat(file.readFloats("w")).containsExactly(1, 2);
        }
        try (Stream<Path> files = Files.list(directory)) {
            assertThat(files).containsExactly(target);
        }
    }
}
