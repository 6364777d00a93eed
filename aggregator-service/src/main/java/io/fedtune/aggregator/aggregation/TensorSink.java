package io.fedtune.aggregator.aggregation;

import java.io.IOException;

/** Where aggregation writes F32 values of its output tensors, by element offset; safe for concurrent writers. */
public interface TensorSink {

    /** Writes {@code length} values from {@code src[offset…]} at element {@code from} of the tensor. */
    void write(String tensor, long from, float[] src, int offset, int length) throws IOException;
}
