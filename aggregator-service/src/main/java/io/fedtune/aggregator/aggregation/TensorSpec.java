package io.fedtune.aggregator.aggregation;

import java.util.Arrays;

/**
 * A tensor's name and shape.
 *
 * @param name its safetensors key
 * @param shape its dimensions, outermost first
 */
public record TensorSpec(String name, int[] shape) {

    /** The number of elements. */
    public long elements() {
        long n = 1;
        for (int d : shape) {
            n *= d;
        }
        return n;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TensorSpec other && name.equals(other.name) && Arrays.equals(shape, other.shape);
    }

    @Override
    public int hashCode() {
        return name.hashCode() * 31 + Arrays.hashCode(shape);
    }

    @Override
    public String toString() {
        return name + Arrays.toString(shape);
    }
}
