package io.fedtune.aggregator.aggregation;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/** Tensors held in arrays, for tests of the math; also a sink that collects what is written. */
final class ArrayTensorInput implements TensorInput, TensorSink {

    final Map<String, float[]> values = new LinkedHashMap<>();
    final Map<String, int[]> shapes = new HashMap<>();

    ArrayTensorInput put(String name, int[] shape, float[] data) {
        values.put(name, data);
        shapes.put(name, shape);
        return this;
    }

    ArrayTensorInput withSpace(TensorSpec spec) {
        return put(spec.name(), spec.shape(), new float[Math.toIntExact(spec.elements())]);
    }

    float[] get(String name) {
        return values.get(name);
    }

    @Override
    public int[] shape(String tensor) {
        return shapes.get(tensor);
    }

    @Override
    public FloatReader open(String tensor, long from, long count) {
        float[] data = values.get(tensor);
        if (data == null || from + count > data.length) {
            throw new IllegalArgumentException(tensor);
        }
        return new FloatReader() {
            long position = from;

            @Override
            public void read(float[] dst, int offset, int length) {
                System.arraycopy(data, (int) position, dst, offset, length);
                position += length;
            }

            @Override
            public void close() {}
        };
    }

    @Override
    public synchronized void write(String tensor, long from, float[] src, int offset, int length) {
        System.arraycopy(src, offset, values.get(tensor), (int) from, length);
    }
}
