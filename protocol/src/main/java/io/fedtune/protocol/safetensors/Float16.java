package io.fedtune.protocol.safetensors;

/**
 * Conversions between IEEE 754 half precision (F16, held in a {@code short}) and {@code float}, for Java 17 which has
 * none. Narrowing rounds to nearest, ties to even, as hardware and PyTorch do.
 */
public final class Float16 {

    /** The largest finite half, 65504. */
    public static final float MAX_VALUE = 65504f;

    /** The smallest positive normal half, 2^-14. */
    public static final float MIN_NORMAL = 0x1p-14f;

    /** The smallest positive subnormal half, 2^-24. */
    public static final float MIN_VALUE = 0x1p-24f;

    /** The smallest magnitude that rounds to infinity, 65520 (halfway between 65504 and 2^16). */
    public static final float OVERFLOW_THRESHOLD = 65520f;

    private static final float[] TO_FLOAT = new float[1 << 16];

    static {
        for (int bits = 0; bits < TO_FLOAT.length; bits++) {
            TO_FLOAT[bits] = compute((short) bits);
        }
    }

    private Float16() {}

    /** The float a half's bits stand for; exact, since every half is a float. */
    public static float toFloat(short bits) {
        return TO_FLOAT[bits & 0xFFFF];
    }

    /**
     * The half nearest to {@code value} (ties to even). Magnitudes of {@link #OVERFLOW_THRESHOLD} and above become
     * infinity, as IEEE 754 says; NaN stays NaN.
     */
    public static short fromFloat(float value) {
        int bits = Float.floatToRawIntBits(value);
        int sign = (bits >>> 16) & 0x8000;
        int abs = bits & 0x7FFF_FFFF;
        if (abs >= 0x7F80_0000) {
            int nan = abs > 0x7F80_0000 ? 0x0200 | ((abs >>> 13) & 0x03FF) : 0;
            return (short) (sign | 0x7C00 | nan);
        }
        if (abs >= 0x477F_F000) {
            return (short) (sign | 0x7C00);
        }
        if (abs < 0x3880_0000) {
            if (abs < 0x3300_0000) {
                return (short) sign;
            }
            int exponent = abs >>> 23;
            int mantissa = (abs & 0x007F_FFFF) | 0x0080_0000;
            int shift = 126 - exponent;
            int half = mantissa >>> shift;
            int rest = mantissa & ((1 << shift) - 1);
            int halfway = 1 << (shift - 1);
            if (rest > halfway || (rest == halfway && (half & 1) != 0)) {
                half++;
            }
            return (short) (sign | half);
        }
        int half = ((abs >>> 23) - 112) << 10 | (abs & 0x007F_FFFF) >>> 13;
        int rest = abs & 0x1FFF;
        if (rest > 0x1000 || (rest == 0x1000 && (half & 1) != 0)) {
            half++;
        }
        return (short) (sign | half);
    }

    /** Whether {@code value} is finite but too large for a half: narrowing it would give infinity. */
    public static boolean overflows(float value) {
        return Float.isFinite(value) && Math.abs(value) >= OVERFLOW_THRESHOLD;
    }

    private static float compute(short half) {
        int bits = half & 0xFFFF;
        int sign = (bits & 0x8000) << 16;
        int exponent = (bits >>> 10) & 0x1F;
        int mantissa = bits & 0x03FF;
        if (exponent == 0) {
            float magnitude = mantissa * MIN_VALUE;
            return sign != 0 ? -magnitude : magnitude;
        }
        if (exponent == 0x1F) {
            return Float.intBitsToFloat(sign | 0x7F80_0000 | (mantissa << 13));
        }
        return Float.intBitsToFloat(sign | (exponent + 112) << 23 | mantissa << 13);
    }
}
