package io.fedtune.protocol.safetensors;

import java.util.Arrays;
import java.util.Objects;

/**
 * A dense F32 tensor on the heap: a shape and its values in row-major order. This is what update codecs take and give
 * back. The values array is shared, not copied: callers that keep mutating it own the consequences.
 *
 * @param shape the dimensions, outermost first; {@code []} is a scalar
 * @param values the elements, row-major; its length is the product of the shape
 */
public record FloatTensor(long[] shape, float[] values) {

    public FloatTensor {
        Objects.requireNonNull(shape, "shape");
        Objects.requireNonNull(values, "values");
        shape = shape.clone();
        for (long dim : shape) {
            if (dim < 0) {
                throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(shape));
            }
        }
        long count = TensorInfo.elementCount(shape);
        if (count != values.length) {
            throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " holds "
                    + (count < 0 ? "more than 2^63" : count) + " elements but " + values.length + " values were given");
        }
    }

    /** A tensor of {@code values} with {@code shape}. */
    public static FloatTensor of(float[] values, long... shape) {
        return new FloatTensor(shape, values);
    }

    /** A vector: shape {@code [values.length]}. */
    public static FloatTensor vector(float... values) {
        return new FloatTensor(new long[] {values.length}, values);
    }

    /** A scalar: shape {@code []}. */
    public static FloatTensor scalar(float value) {
        return new FloatTensor(new long[0], new float[] {value});
    }

    /** A tensor of zeros. */
    public static FloatTensor zeros(long... shape) {
        long count = TensorInfo.elementCount(shape);
        if (count < 0 || count > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " is too large for a Java array");
        }
        return new FloatTensor(shape, new float[(int) count]);
    }

    /** A copy of the shape. */
    @Override
    public long[] shape() {
        return shape.clone();
    }

    /** Number of elements. */
    public int size() {
        return values.length;
    }

    /** Whether {@code other} has the same shape. */
    public boolean sameShape(FloatTensor other) {
        return Arrays.equals(shape, other.shape);
    }

    /** Equal shape and bit-for-bit equal values (NaN equals NaN, 0.0 differs from -0.0), as {@link Arrays#equals}. */
    @Override
    public boolean equals(Object other) {
        return other instanceof FloatTensor that
                && Arrays.equals(shape, that.shape)
                && Arrays.equals(values, that.values);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(shape) + Arrays.hashCode(values);
    }

    @Override
    public String toString() {
        return "FloatTensor" + Arrays.toString(shape);
    }
}
