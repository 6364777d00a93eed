package io.fedtune.protocol.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.offset;

import io.fedtune.protocol.checksum.ContentDigest;
import io.fedtune.protocol.checksum.Sha256;
import io.fedtune.protocol.safetensors.DType;
import io.fedtune.protocol.safetensors.FloatTensor;
import io.fedtune.protocol.safetensors.SafetensorsFile;
import io.fedtune.protocol.safetensors.SafetensorsFormatException;
import io.fedtune.protocol.safetensors.SafetensorsWriter;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class UpdateCodecTests {

    static Stream<UpdateCodec> codecs() {
        return Stream.of(
                UpdateCodecs.f32(),
                UpdateCodecs.f16(),
                UpdateCodecs.int8(),
                UpdateCodecs.topK(0.1),
                UpdateCodecs.topK(0.05, TopKCodec.Scope.GLOBAL));
    }

    @ParameterizedTest
    @MethodSource("codecs")
    void reconstructGivesExactlyWhatDecodingGives(UpdateCodec codec) throws Exception {
        Map<String, FloatTensor> update = Updates.random(1);
        assertThat(Updates.roundTrip(codec, update)).isEqualTo(codec.reconstruct(update));
    }

    @ParameterizedTest
    @MethodSource("codecs")
    void anyBodyDecodesByTheCodecItsMetadataNames(UpdateCodec codec) throws Exception {
        Map<String, FloatTensor> update = Updates.random(2);
        byte[] body = Updates.encode(codec, update);

        assertThat(UpdateCodecs.decode(new ByteArrayInputStream(body))).isEqualTo(codec.reconstruct(update));
        assertThat(UpdateCodecs.decode(new ByteArrayInputStream(body)).keySet())
                .containsExactlyElementsOf(update.keySet());
    }

    @ParameterizedTest
    @MethodSource("codecs")
    void encodingReportsTheSha256OfTheBodyAndWritesFilesAtomically(UpdateCodec codec, @TempDir Path directory)
            throws Exception {
        Map<String, FloatTensor> update = Updates.random(3);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ContentDigest digest = codec.encode(update, out);
        Path file = directory.resolve("update.safetensors");

        assertThat(digest).isEqualTo(new ContentDigest(Sha256.hex(out.toByteArray()), out.size()));
        assertThat(codec.encode(update, file)).isEqualTo(digest);
        assertThat(codec.encoder(update).byteCount()).isEqualTo(out.size());
        assertThat(codec.decode(file)).isEqualTo(codec.reconstruct(update));
        try (SafetensorsFile opened = SafetensorsFile.open(file)) {
            assertThat(opened.metadata()).containsEntry(UpdateCodecs.CODEC_KEY, codec.name());
        }
    }

    @ParameterizedTest
    @MethodSource("codecs")
    void emptyTensorsScalarsAndEmptyUpdatesSurvive(UpdateCodec codec) throws Exception {
        Map<String, FloatTensor> update = Map.of(
                "empty", FloatTensor.zeros(0, 4),
                "scalar", FloatTensor.scalar(-3.5f));
        Map<String, FloatTensor> decoded = Updates.roundTrip(codec, update);

        assertThat(decoded.get("empty").shape()).containsExactly(0, 4);
        assertThat(decoded.get("scalar").shape()).isEmpty();
        assertThat(decoded.get("scalar").values()[0]).isCloseTo(-3.5f, offset(1e-5f));
        assertThat(Updates.roundTrip(codec, Map.of())).isEmpty();
    }

    static Stream<Arguments> nonFiniteValues() {
        return codecs().flatMap(codec -> Stream.of(Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY)
                .map(value -> Arguments.of(codec, value)));
    }

    @ParameterizedTest
    @MethodSource("nonFiniteValues")
    void nanAndInfinitiesAreRejectedNamingTheTensorAndElement(UpdateCodec codec, float value) {
        Map<String, FloatTensor> update = Map.of("w", FloatTensor.vector(1, 2, value, 4));

        assertThatThrownBy(() -> codec.encoder(update))
                .isInstanceOf(UnencodableTensorException.class)
                .hasMessageContaining(codec.name() + " codec cannot encode tensor 'w': element 2 is " + value)
                .hasMessageContaining("must be finite");
        assertThatThrownBy(() -> codec.reconstruct(update)).isInstanceOf(UnencodableTensorException.class);
    }

    @Test
    void f32IsBitExact() throws Exception {
        Map<String, FloatTensor> update = Updates.random(4);
        assertThat(Updates.roundTrip(UpdateCodecs.f32(), update)).isEqualTo(update);
        assertThat(UpdateCodecs.f32().residual(update).values())
                .allSatisfy(residual -> assertThat(residual.values()).containsOnly(0f));
    }

    @Test
    void aPlainAdapterWithoutCodecMetadataDecodesAsF32WithHalfPrecisionWidened() throws Exception {
        byte[] body = bytes(new SafetensorsWriter()
                .add("a", FloatTensor.vector(1.5f, -2f), DType.BF16)
                .add("b", FloatTensor.vector(0.25f)));

        Map<String, FloatTensor> decoded = UpdateCodecs.decode(new ByteArrayInputStream(body));
        assertThat(decoded.get("a").values()).containsExactly(1.5f, -2f);
        assertThat(decoded.get("b").values()).containsExactly(0.25f);
    }

    @Test
    void decodingRejectsNonFiniteValuesInABody() {
        byte[] body = bytes(new SafetensorsWriter()
                .metadata(UpdateCodecs.CODEC_KEY, "f32")
                .add("w", FloatTensor.vector(1, Float.NaN)));

        assertThatThrownBy(() -> UpdateCodecs.decode(new ByteArrayInputStream(body)))
                .isInstanceOf(SafetensorsFormatException.class)
                .hasMessageContaining("f32 update tensor 'w' element 1 is NaN");
    }

    @Test
    void decodingWithTheWrongCodecSaysWhichCodecWroteTheBody() {
        byte[] body = Updates.encode(UpdateCodecs.int8(), Updates.random(5));

        assertThatThrownBy(() -> Updates.decode(UpdateCodecs.f16(), body))
                .isInstanceOf(SafetensorsFormatException.class)
                .hasMessageContaining("body was encoded with codec 'int8', not 'f16'");
        byte[] unknown = bytes(new SafetensorsWriter().metadata(UpdateCodecs.CODEC_KEY, "zstd"));
        assertThatThrownBy(() -> UpdateCodecs.decode(new ByteArrayInputStream(unknown)))
                .isInstanceOf(SafetensorsFormatException.class)
                .hasMessageContaining("unknown codec 'zstd'");
    }

    @Test
    void encodedSizesShrinkAsEachCodecPromises() {
        Map<String, FloatTensor> update = Updates.random(6);
        double f32 = Updates.encode(UpdateCodecs.f32(), update).length;

        assertThat(Updates.encode(UpdateCodecs.f16(), update).length / f32).isBetween(0.49, 0.52);
        assertThat(Updates.encode(UpdateCodecs.int8(), update).length / f32).isBetween(0.245, 0.27);
        assertThat(Updates.encode(UpdateCodecs.topK(0.1), update).length / f32).isBetween(0.19, 0.22);
        assertThat(Updates.encode(UpdateCodecs.topK(0.01), update).length / f32).isBetween(0.015, 0.035);
    }

    @Test
    void codecsAreChosenByNameAndParameters() {
        assertThat(UpdateCodecs.NAMES).containsExactly("f32", "f16", "int8", "topk");
        for (String name : UpdateCodecs.NAMES) {
            assertThat(UpdateCodecs.forName(name).name()).isEqualTo(name);
        }
        TopKCodec topk = (TopKCodec) UpdateCodecs.forName("topk", Map.of("fraction", "0.02", "scope", "global"));
        assertThat(topk.fraction()).isEqualTo(0.02);
        assertThat(topk.scope()).isEqualTo(TopKCodec.Scope.GLOBAL);
        assertThat(UpdateCodecs.forName("topk", topk.parameters()).parameters()).isEqualTo(topk.parameters());
        assertThat(((TopKCodec) UpdateCodecs.forName("topk")).fraction()).isEqualTo(0.1);
    }

    @Test
    void unknownCodecsParametersAndValuesAreRejectedClearly() {
        assertThatThrownBy(() -> UpdateCodecs.forName("bf16"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("unknown codec 'bf16'; known codecs: f32, f16, int8, topk");
        assertThatThrownBy(() -> UpdateCodecs.forName("int8", Map.of("bits", "4")))
                .hasMessage("codec 'int8' has no parameter bits");
        assertThatThrownBy(() -> UpdateCodecs.forName("topk", Map.of("fraction", "0")))
                .hasMessage("topk fraction must be in (0, 1], got 0.0");
        assertThatThrownBy(() -> UpdateCodecs.forName("topk", Map.of("fraction", "ten")))
                .hasMessageContaining("topk fraction must be a number in (0, 1], got 'ten'");
        assertThatThrownBy(() -> UpdateCodecs.forName("topk", Map.of("scope", "layer")))
                .hasMessageContaining("topk scope must be 'per-tensor' or 'global', got 'layer'");
    }

    @Test
    void residualIsTheOriginalMinusTheReconstruction() {
        Map<String, FloatTensor> original = Map.of("w", FloatTensor.vector(1.5f, -2f, 0.25f));
        Map<String, FloatTensor> reconstructed = Map.of("w", FloatTensor.vector(1f, -2f, 0f));

        assertThat(UpdateCodecs.residual(original, reconstructed).get("w").values())
                .containsExactly(0.5f, 0f, 0.25f);
        assertThatThrownBy(() -> UpdateCodecs.residual(original, Map.of("v", FloatTensor.vector(1, 2, 3))))
                .hasMessageContaining("same tensor names");
        assertThatThrownBy(() -> UpdateCodecs.residual(original, Map.of("w", FloatTensor.vector(1, 2))))
                .hasMessageContaining("tensor 'w' differs in shape");
        assertThat(List.copyOf(UpdateCodecs.f32().residual(original).keySet())).containsExactly("w");
    }

    static byte[] bytes(SafetensorsWriter writer) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            writer.writeTo(out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }
}
