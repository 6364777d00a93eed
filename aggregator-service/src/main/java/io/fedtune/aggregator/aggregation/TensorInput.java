package io.fedtune.aggregator.aggregation;

import java.io.IOException;

/** One tensor file (an update, or a global adapter) whose tensors can be read by element range. */
public interface TensorInput {

    /** The tensor's shape, or null when the file has no such tensor. */
    int[] shape(String tensor);

    /**
     * Opens a reader over elements {@code [from, from + count)} of a tensor, in row-major order.
     *
     * @throws IllegalArgumentException when the tensor is absent or the range is outside it
     */
    FloatReader open(String tensor, long from, long count) throws IOException;

    /** Reads a whole tensor into a new array (for the low-rank modes, which work a module at a time). */
    default float[] readAll(String tensor) throws IOException {
        int[] shape = shape(tensor);
        if (shape == null) {
            throw new IllegalArgumentException("no tensor " + tensor);
        }
        long n = 1;
        for (int d : shape) {
            n *= d;
        }
        float[] values = new float[Math.toIntExact(n)];
        try (FloatReader reader = open(tensor, 0, n)) {
            reader.read(values, 0, values.length);
        }
        return values;
    }
}
