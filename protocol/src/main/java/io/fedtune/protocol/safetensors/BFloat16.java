package io.fedtune.protocol.safetensors;

/**
 * Conversions between bfloat16 (BF16, held in a {@code short}) and {@code float}. Widening is exact (a BF16 is the
 * upper half of a float); narrowing rounds to nearest, ties to even, as PyTorch does.
 */
public final class BFloat16 {

    /** The largest finite bfloat16, (2 − 2^-7)·2^127. */
    public static final float MAX_VALUE = 0x1.FEp127f;

    private BFloat16() {}

    /** The float a bfloat16's bits stand for. */
    public static float toFloat(short bits) {
        return Float.intBitsToFloat((bits & 0xFFFF) << 16);
    }

    /**
     * The bfloat16 nearest to {@code value} (ties to even); magnitudes beyond {@link #MAX_VALUE} by half an ulp or more
     * become infinity; NaN stays a (quiet) NaN.
     */
    public static short fromFloat(float value) {
        int bits = Float.floatToRawIntBits(value);
        if ((bits & 0x7FFF_FFFF) > 0x7F80_0000) {
            return (short) ((bits >>> 16) | 0x0040);
        }
        return (short) ((bits + 0x7FFF + ((bits >>> 16) & 1)) >>> 16);
    }

    /** Whether {@code value} is finite but rounds to infinity as a bfloat16. */
    public static boolean overflows(float value) {
        return Float.isFinite(value) && (Float.floatToRawIntBits(value) & 0x7FFF_FFFF) >= 0x7F7F_8000;
    }
}
