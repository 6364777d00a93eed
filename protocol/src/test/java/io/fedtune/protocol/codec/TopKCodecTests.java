package io.fedtune.protocol.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fedtune.protocol.safetensors.FloatTensor;
import io.fedtune.protocol.safetensors.SafetensorsFormatException;
import io.fedtune.protocol.safetensors.SafetensorsHeader;
import io.fedtune.protocol.safetensors.SafetensorsStreamReader;
import io.fedtune.protocol.safetensors.SafetensorsWriter;
import java.io.ByteArrayInputStream;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class TopKCodecTests {

    /** The positions of the k largest |x|, by sorting: an oracle independent of the codec's radix select. */
    private static Set<Integer> largest(float[] x, int k) {
        return new HashSet<>(IntStream.range(0, x.length)
                .boxed()
                .sorted(Comparator.comparingDouble((Integer i) -> -Math.abs(x[i]))
                        .thenComparingInt(i -> i))
                .limit(k)
                .toList());
    }

    @Test
    void eachTensorKeepsExactlyItsLargestEntriesAndZerosTheRest() throws Exception {
        Map<String, FloatTensor> update = Updates.random(41);
        Map<String, FloatTensor> decoded = Updates.roundTrip(UpdateCodecs.topK(0.1), update);

        for (String name : update.keySet()) {
            float[] x = update.get(name).values();
            float[] y = decoded.get(name).values();
            int k = (int) Math.ceil(0.1 * x.length);
            Set<Integer> kept = largest(x, k);
            assertThat(decoded.get(name).shape()).isEqualTo(update.get(name).shape());
            for (int i = 0; i < x.length; i++) {
                if (kept.contains(i)) {
                    assertThat(Float.floatToRawIntBits(y[i]))
                            .as("%s[%d] kept exactly", name, i)
                            .isEqualTo(Float.floatToRawIntBits(x[i]));
                } else {
                    assertThat(y[i]).as("%s[%d] dropped", name, i).isZero();
                }
            }
        }
    }

    @Test
    void globalScopeChoosesTheLargestEntriesAcrossTensors() throws Exception {
        Random random = new Random(42);
        Map<String, FloatTensor> update = Map.of(
                "small", Updates.gaussian(random, 1e-3, 10, 10),
                "large", Updates.gaussian(random, 10, 10, 10));
        Map<String, FloatTensor> decoded = Updates.roundTrip(UpdateCodecs.topK(0.25, TopKCodec.Scope.GLOBAL), update);

        float[] all = new float[200];
        System.arraycopy(update.get("large").values(), 0, all, 0, 100);
        System.arraycopy(update.get("small").values(), 0, all, 100, 100);
        Set<Integer> kept = largest(all, 50);
        for (int i = 0; i < 200; i++) {
            float original = all[i];
            float result = i < 100
                    ? decoded.get("large").values()[i]
                    : decoded.get("small").values()[i - 100];
            assertThat(result).isEqualTo(kept.contains(i) ? original : 0f);
        }
        assertThat(decoded.get("small").values()).containsOnly(0f);
    }

    @Test
    void tiesAtTheThresholdGoToLowerPositions() {
        float[] x = {1, -1, 1, -1, 1, -1, 2, 0};
        float[] y = UpdateCodecs.topK(0.5)
                .reconstruct(Map.of("w", FloatTensor.vector(x)))
                .get("w")
                .values();
        assertThat(y).containsExactly(1, -1, 1, 0, 0, 0, 2, 0);
    }

    @Test
    void zerosAreNeverStored() throws Exception {
        Map<String, FloatTensor> update = Map.of("w", FloatTensor.vector(0, 0, 3, 0));
        byte[] body = Updates.encode(UpdateCodecs.topK(1.0), update);

        assertThat(Updates.decode(UpdateCodecs.topK(1.0), body)).isEqualTo(update);
        SafetensorsHeader header =
                SafetensorsStreamReader.open(new ByteArrayInputStream(body)).header();
        assertThat(header.tensor("w.__indices").shape()).containsExactly(1);
        assertThat(header.tensor("w.__values").shape()).containsExactly(1);
    }

    @Test
    void keepingEverythingIsLossless() throws Exception {
        Map<String, FloatTensor> update = Updates.random(43);
        assertThat(Updates.roundTrip(UpdateCodecs.topK(1.0), update)).isEqualTo(update);
    }

    @Test
    void theResidualPlusTheReconstructionIsTheOriginalForErrorFeedback() {
        Map<String, FloatTensor> update = Updates.random(44);
        TopKCodec codec = UpdateCodecs.topK(0.05);
        Map<String, FloatTensor> reconstructed = codec.reconstruct(update);
        Map<String, FloatTensor> residual = codec.residual(update);

        for (String name : update.keySet()) {
            float[] x = update.get(name).values();
            float[] r = residual.get(name).values();
            float[] y = reconstructed.get(name).values();
            for (int i = 0; i < x.length; i++) {
                assertThat(r[i] + y[i]).isEqualTo(x[i]);
                assertThat(r[i] == 0 || y[i] == 0).isTrue();
            }
        }
    }

    @Test
    void aBodyWithBadIndicesIsRejected() {
        assertThatThrownBy(() -> decode(new int[] {0, 9}, new float[] {1, 2}, "[3,3]"))
                .isInstanceOf(SafetensorsFormatException.class)
                .hasMessageContaining("topk tensor 'w.__indices' index 1 is 9, outside [0, 9)");
        assertThatThrownBy(() -> decode(new int[] {4, 2}, new float[] {1, 2}, "[3,3]"))
                .hasMessageContaining("index 1 (2) does not follow the previous one");
        assertThatThrownBy(() -> decode(new int[] {1, 2}, new float[] {1}, "[3,3]"))
                .hasMessageContaining("topk tensor 'w' has 2 indices but 1 values");
        assertThatThrownBy(() -> decode(new int[] {1}, new float[] {1}, "3x3"))
                .hasMessageContaining("'fedtune.topk.shape.w' must be a JSON array of non-negative integers");
    }

    @Test
    void aBodyWithoutShapeMetadataIsRejected() {
        byte[] body = UpdateCodecTests.bytes(new SafetensorsWriter()
                .metadata(UpdateCodecs.CODEC_KEY, "topk")
                .addInts("w.__indices", new long[] {1}, new int[] {0})
                .add("w.__values", FloatTensor.vector(1)));

        assertThatThrownBy(() -> UpdateCodecs.topK(0.1).decode(new ByteArrayInputStream(body)))
                .isInstanceOf(SafetensorsFormatException.class)
                .hasMessageContaining("metadata 'fedtune.topk.shape.w' is missing");
    }

    @Test
    void theSelectionHandlesManyTensorsWithoutSorting() {
        float[] x = new float[1 << 20];
        Random random = new Random(45);
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) random.nextGaussian();
        }
        float[] y = UpdateCodecs.topK(0.01)
                .reconstruct(Map.of("w", FloatTensor.vector(x)))
                .get("w")
                .values();

        long kept = IntStream.range(0, y.length).filter(i -> y[i] != 0).count();
        assertThat(kept).isEqualTo((long) Math.ceil(0.01 * x.length));
        float[] magnitudes = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            magnitudes[i] = Math.abs(x[i]);
        }
        Arrays.sort(magnitudes);
        float threshold = magnitudes[x.length - (int) kept];
        for (int i = 0; i < x.length; i++) {
            assertThat(y[i] != 0).isEqualTo(Math.abs(x[i]) >= threshold);
        }
    }

    private static Map<String, FloatTensor> decode(int[] indices, float[] values, String shape) throws Exception {
        byte[] body = UpdateCodecTests.bytes(new SafetensorsWriter()
                .metadata(UpdateCodecs.CODEC_KEY, "topk")
                .metadata(TopKCodec.SHAPE_KEY_PREFIX + "w", shape)
                .addInts("w.__indices", new long[] {indices.length}, indices)
                .add("w.__values", FloatTensor.vector(values)));
        return UpdateCodecs.topK(0.1).decode(new ByteArrayInputStream(body));
    }
}
