package io.fedtune.protocol.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fedtune.protocol.safetensors.Float16;
import io.fedtune.protocol.safetensors.FloatTensor;
import java.util.Map;
import java.util.function.DoubleUnaryOperator;
import org.junit.jupiter.api.Test;

class F16CodecTests {

    private final UpdateCodec codec = UpdateCodecs.f16();

    /** Largest |x − x̂| divided by the documented bound for x (relative in the normal range, absolute below). */
    private static double worstBoundRatio(Map<String, FloatTensor> original, DoubleUnaryOperator decode) {
        double worst = 0;
        for (FloatTensor tensor : original.values()) {
            for (float x : tensor.values()) {
                double error = Math.abs(x - decode.applyAsDouble(x));
                double bound = Math.abs(x) >= Float16.MIN_NORMAL
                        ? F16Codec.RELATIVE_ERROR_BOUND * Math.abs(x)
                        : F16Codec.SUBNORMAL_ERROR_BOUND;
                worst = Math.max(worst, error / bound);
            }
        }
        return worst;
    }

    @Test
    void roundTripStaysWithinTheStatedBoundAndTheBoundIsTight() throws Exception {
        Map<String, FloatTensor> update = Updates.random(21);
        Map<String, FloatTensor> decoded = Updates.roundTrip(codec, update);

        double worst = 0;
        for (String name : update.keySet()) {
            float[] x = update.get(name).values();
            float[] y = decoded.get(name).values();
            assertThat(decoded.get(name).shape()).isEqualTo(update.get(name).shape());
            for (int i = 0; i < x.length; i++) {
                double error = Math.abs((double) x[i] - y[i]);
                double bound = Math.abs(x[i]) >= Float16.MIN_NORMAL
                        ? F16Codec.RELATIVE_ERROR_BOUND * Math.abs(x[i])
                        : F16Codec.SUBNORMAL_ERROR_BOUND;
                assertThat(error).as("%s[%d] = %s", name, i, x[i]).isLessThanOrEqualTo(bound);
                worst = Math.max(worst, error / bound);
            }
        }
        assertThat(worst).as("the data reaches near the bound").isGreaterThan(0.9);
    }

    @Test
    void theBoundCatchesACodecThatTruncatesInsteadOfRounding() {
        Map<String, FloatTensor> update = Updates.random(22);
        DoubleUnaryOperator truncating = x -> {
            int bits = Float.floatToRawIntBits((float) x);
            return Float.intBitsToFloat(bits & 0xFFFF_E000);
        };

        assertThat(worstBoundRatio(update, x -> Float16.toFloat(Float16.fromFloat((float) x))))
                .isLessThanOrEqualTo(1);
        assertThat(worstBoundRatio(update, truncating)).isGreaterThan(1.5);
    }

    @Test
    void valuesThatWouldOverflowToInfinityAreRejectedNotWrittenAsInfinity() {
        Map<String, FloatTensor> update = Map.of("w", FloatTensor.vector(1, -65520f));

        assertThatThrownBy(() -> codec.encoder(update))
                .isInstanceOf(UnencodableTensorException.class)
                .hasMessageContaining("f16 codec cannot encode tensor 'w': element 1 is -65520.0")
                .hasMessageContaining("largest half is 65504");
    }

    @Test
    void valuesJustAboveTheLargestHalfRoundDownWithinTheBound() throws Exception {
        Map<String, FloatTensor> decoded = Updates.roundTrip(codec, Map.of("w", FloatTensor.vector(65504f, 65519f)));
        assertThat(decoded.get("w").values()).containsExactly(65504f, 65504f);
    }
}
