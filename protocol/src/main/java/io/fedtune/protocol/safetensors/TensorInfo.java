package io.fedtune.protocol.safetensors;

import java.util.Arrays;
import java.util.Objects;

/**
 * One tensor's entry in a safetensors header: name, element type, shape and where its bytes lie in the data section
 * ({@code [begin, end)}, relative to the first byte after the header).
 *
 * @param name the tensor's name, such as {@code base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight}
 * @param dtype the element type
 * @param shape the dimensions, outermost first; {@code []} is a scalar
 * @param begin offset of the first byte in the data section
 * @param end offset one past the last byte in the data section
 */
public record TensorInfo(String name, DType dtype, long[] shape, long begin, long end) {

    public TensorInfo {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(dtype, "dtype");
        shape = shape.clone();
        for (long dim : shape) {
            if (dim < 0) {
                throw new IllegalArgumentException(
                        "tensor '" + name + "' has a negative dimension: " + Arrays.toString(shape));
            }
        }
        if (begin < 0 || end < begin) {
            throw new IllegalArgumentException(
                    "tensor '" + name + "' has invalid offsets [" + begin + ", " + end + ")");
        }
    }

    /** A copy of the shape. */
    @Override
    public long[] shape() {
        return shape.clone();
    }

    /** Number of dimensions; 0 for a scalar. */
    public int rank() {
        return shape.length;
    }

    /** Number of elements: the product of the shape (1 for a scalar). */
    public long elementCount() {
        return elementCount(shape);
    }

    /** Bytes of data: {@code end - begin}. */
    public long byteSize() {
        return end - begin;
    }

    /** Product of {@code shape}, or -1 when it overflows a {@code long}. */
    static long elementCount(long[] shape) {
        for (long dim : shape) {
            if (dim == 0) {
                return 0;
            }
        }
        long count = 1;
        for (long dim : shape) {
            if (count > Long.MAX_VALUE / dim) {
                return -1;
            }
            count *= dim;
        }
        return count;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof TensorInfo that
                && name.equals(that.name)
                && dtype == that.dtype
                && Arrays.equals(shape, that.shape)
                && begin == that.begin
                && end == that.end;
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, dtype, Arrays.hashCode(shape), begin, end);
    }

    @Override
    public String toString() {
        return name + " " + dtype.wireName() + Arrays.toString(shape) + " @[" + begin + ", " + end + ")";
    }
}
