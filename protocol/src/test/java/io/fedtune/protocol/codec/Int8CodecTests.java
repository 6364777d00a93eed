package io.fedtune.protocol.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fedtune.protocol.safetensors.DType;
import io.fedtune.protocol.safetensors.FloatTensor;
import io.fedtune.protocol.safetensors.SafetensorsFormatException;
import io.fedtune.protocol.safetensors.SafetensorsWriter;
import java.io.ByteArrayInputStream;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class Int8CodecTests {

    private final UpdateCodec codec = UpdateCodecs.int8();

    private static double bound(float scale, float decoded) {
        return scale / 2.0 + Math.ulp(decoded) / 2.0 + scale * 1e-12;
    }

    @Test
    void roundTripStaysWithinHalfAScaleAndTheBoundIsTight() throws Exception {
        Map<String, FloatTensor> update = Updates.random(31);
        Map<String, FloatTensor> decoded = Updates.roundTrip(codec, update);

        for (String name : update.keySet()) {
            float[] x = update.get(name).values();
            float[] y = decoded.get(name).values();
            float scale = Int8Codec.scaleOf(x);
            double worst = 0;
            for (int i = 0; i < x.length; i++) {
                double error = Math.abs((double) x[i] - y[i]);
                assertThat(error).as("%s[%d] = %s", name, i, x[i]).isLessThanOrEqualTo(bound(scale, y[i]));
                worst = Math.max(worst, error / scale);
            }
            assertThat(worst).as("%s reaches near scale/2", name).isGreaterThan(0.45);
        }
    }

    @Test
    void theBoundCatchesAQuantizerThatTruncatesInsteadOfRounding() {
        float[] x = Updates.gaussian(new Random(32), 0.05, 64, 64).values();
        float scale = Int8Codec.scaleOf(x);
        boolean violated = false;
        for (float value : x) {
            float truncated = (int) (value / scale) * scale;
            violated |= Math.abs((double) value - truncated) > bound(scale, truncated);
        }
        assertThat(violated).isTrue();
    }

    @Test
    void theScaleIsTheSmallestFloatCoveringTheLargestMagnitude() {
        float[] x = {0.5f, -1.27f, 0.01f};
        float scale = Int8Codec.scaleOf(x);

        assertThat((double) scale * 127).isGreaterThanOrEqualTo(1.27f);
        assertThat((double) Math.nextDown(scale) * 127).isLessThan(1.27f);
        assertThat(Int8Codec.scaleOf(new float[] {0, 0})).isZero();
        assertThat(Int8Codec.scaleOf(new float[] {Float.MIN_VALUE * 3})).isPositive();
    }

    @Test
    void subnormalMagnitudesStayWithinTheBound() throws Exception {
        float[] x = {Float.MIN_VALUE * 200, -Float.MIN_VALUE * 77, Float.MIN_VALUE};
        float[] y = Updates.roundTrip(codec, Map.of("w", FloatTensor.vector(x)))
                .get("w")
                .values();
        float scale = Int8Codec.scaleOf(x);
        for (int i = 0; i < x.length; i++) {
            assertThat(Math.abs((double) x[i] - y[i])).isLessThanOrEqualTo(bound(scale, y[i]));
        }
    }

    @Test
    void anAllZeroTensorDecodesToZeros() throws Exception {
        assertThat(Updates.roundTrip(codec, Map.of("w", FloatTensor.zeros(3, 2)))
                        .get("w"))
                .isEqualTo(FloatTensor.zeros(3, 2));
    }

    @Test
    void aBodyWithoutItsScaleIsRejected() {
        byte[] body = UpdateCodecTests.bytes(new SafetensorsWriter()
                .metadata(UpdateCodecs.CODEC_KEY, "int8")
                .addBytes("w", DType.I8, new long[] {2}, new byte[] {1, 2}));

        assertThatThrownBy(() -> codec.decode(new ByteArrayInputStream(body)))
                .isInstanceOf(SafetensorsFormatException.class)
                .hasMessageContaining("int8 update tensor 'w' has no scale 'w.__scale'");
    }

    @Test
    void aBodyWithCodesOutsideTheSymmetricRangeOrBadScalesIsRejected() {
        byte[] minimum = UpdateCodecTests.bytes(new SafetensorsWriter()
                .metadata(UpdateCodecs.CODEC_KEY, "int8")
                .addBytes("w", DType.I8, new long[] {2}, new byte[] {1, -128})
                .add("w.__scale", FloatTensor.scalar(0.5f)));
        assertThatThrownBy(() -> codec.decode(new ByteArrayInputStream(minimum)))
                .isInstanceOf(SafetensorsFormatException.class)
                .hasMessageContaining("int8 update tensor 'w' element 1 is -128");

        byte[] negative = UpdateCodecTests.bytes(new SafetensorsWriter()
                .metadata(UpdateCodecs.CODEC_KEY, "int8")
                .addBytes("w", DType.I8, new long[] {1}, new byte[] {1})
                .add("w.__scale", FloatTensor.scalar(-0.5f)));
        assertThatThrownBy(() -> codec.decode(new ByteArrayInputStream(negative)))
                .hasMessageContaining("int8 scale 'w.__scale' is -0.5");

        byte[] orphan = UpdateCodecTests.bytes(new SafetensorsWriter()
                .metadata(UpdateCodecs.CODEC_KEY, "int8")
                .add("v.__scale", FloatTensor.scalar(0.5f)));
        assertThatThrownBy(() -> codec.decode(new ByteArrayInputStream(orphan)))
                .hasMessageContaining("int8 scale 'v.__scale' has no tensor 'v'");
    }

    @Test
    void namesThatCollideWithScaleTensorsAreRejected() {
        assertThatThrownBy(() -> codec.encoder(Map.of("w.__scale", FloatTensor.vector(1))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("reserves names ending in '.__scale'");
    }
}
