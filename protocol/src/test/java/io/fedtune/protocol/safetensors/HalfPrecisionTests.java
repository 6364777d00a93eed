package io.fedtune.protocol.safetensors;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import org.junit.jupiter.api.Test;

class HalfPrecisionTests {

    @Test
    void everyHalfWidensExactlyAndNarrowsBackToItself() {
        for (int bits = 0; bits < 1 << 16; bits++) {
            short half = (short) bits;
            float value = Float16.toFloat(half);
            if (Float.isNaN(value)) {
                assertThat(Float16.fromFloat(value) & 0x7C00).isEqualTo(0x7C00);
                assertThat(Float16.fromFloat(value) & 0x03FF).isNotZero();
            } else {
                assertThat(Float16.fromFloat(value)).as("half 0x%04x", bits).isEqualTo(half);
            }
        }
    }

    @Test
    void halfsHaveTheirIeeeValues() {
        assertThat(Float16.toFloat((short) 0x3C00)).isEqualTo(1f);
        assertThat(Float16.toFloat((short) 0xC000)).isEqualTo(-2f);
        assertThat(Float16.toFloat((short) 0x7BFF)).isEqualTo(65504f);
        assertThat(Float16.toFloat((short) 0x0001)).isEqualTo(0x1p-24f);
        assertThat(Float16.toFloat((short) 0x0400)).isEqualTo(0x1p-14f);
        assertThat(Float16.toFloat((short) 0x7C00)).isEqualTo(Float.POSITIVE_INFINITY);
        assertThat(Float16.toFloat((short) 0x8000)).isEqualTo(-0f);
    }

    @Test
    void narrowingToHalfRoundsToNearestWithTiesToEven() {
        assertThat(Float16.fromFloat(1f + 0x1p-11f)).isEqualTo((short) 0x3C00);
        assertThat(Float16.fromFloat(1f + 3 * 0x1p-11f)).isEqualTo((short) 0x3C02);
        assertThat(Float16.fromFloat(0x1p-25f)).isEqualTo((short) 0x0000);
        assertThat(Float16.fromFloat(1.5f * 0x1p-25f)).isEqualTo((short) 0x0001);
        assertThat(Float16.fromFloat(3 * 0x1p-25f)).isEqualTo((short) 0x0002);
        assertThat(Float16.fromFloat(65519.99f)).isEqualTo((short) 0x7BFF);
        assertThat(Float16.fromFloat(65520f)).isEqualTo((short) 0x7C00);
        assertThat(Float16.overflows(65519.99f)).isFalse();
        assertThat(Float16.overflows(-65520f)).isTrue();
    }

    @Test
    void narrowingToHalfPicksTheNearestHalfForRandomFloats() {
        Random random = new Random(11);
        for (int i = 0; i < 200_000; i++) {
            float x = (float) (random.nextGaussian() * Math.pow(2, random.nextInt(40) - 30));
            if (Math.abs(x) >= Float16.OVERFLOW_THRESHOLD) {
                continue;
            }
            short half = Float16.fromFloat(x);
            double error = Math.abs((double) x - Float16.toFloat(half));
            for (int step : new int[] {-1, 1}) {
                short neighbour = (short) (half + step);
                float other = Float16.toFloat(neighbour);
                if (Float.isFinite(other) && Math.signum(other) * Math.signum(Float16.toFloat(half)) >= 0) {
                    double otherError = Math.abs((double) x - other);
                    assertThat(error).as("x=%s", x).isLessThanOrEqualTo(otherError);
                    if (error == otherError) {
                        assertThat(half & 1).as("tie at x=%s goes to even", x).isZero();
                    }
                }
            }
        }
    }

    @Test
    void bfloat16WidensExactlyAndNarrowsWithTiesToEven() {
        for (int bits = 0; bits < 1 << 16; bits++) {
            float value = BFloat16.toFloat((short) bits);
            assertThat(Float.floatToRawIntBits(value)).isEqualTo(bits << 16);
            if (!Float.isNaN(value)) {
                assertThat(BFloat16.fromFloat(value)).isEqualTo((short) bits);
            }
        }
        assertThat(BFloat16.fromFloat(1f + 0x1p-8f)).isEqualTo((short) 0x3F80);
        assertThat(BFloat16.fromFloat(1f + 3 * 0x1p-8f)).isEqualTo((short) 0x3F82);
        assertThat(BFloat16.fromFloat(1f + 0x1p-8f + 0x1p-20f)).isEqualTo((short) 0x3F81);
        assertThat(Float.isNaN(BFloat16.toFloat(BFloat16.fromFloat(Float.NaN)))).isTrue();
        assertThat(BFloat16.overflows(BFloat16.MAX_VALUE)).isFalse();
        assertThat(BFloat16.overflows(Float.MAX_VALUE)).isTrue();
    }
}
