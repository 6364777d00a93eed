package io.fedtune.aggregator.aggregation;

import java.io.Closeable;
import java.io.IOException;

/** Sequential access to one tensor's values (or a range of them) as F32, whatever their stored encoding. */
public interface FloatReader extends Closeable {

    /** Reads exactly {@code length} values into {@code dst[offset…]}. */
    void read(float[] dst, int offset, int length) throws IOException;
}
