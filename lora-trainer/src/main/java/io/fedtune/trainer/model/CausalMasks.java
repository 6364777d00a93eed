package io.fedtune.trainer.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.List;

/**
 * Additive causal masks (0 on and below the diagonal, -inf above), served as views of one cached square mask that
 * grows by powers of two. Masks it outgrew stay alive until {@link #close()}, so a view another thread still uses is
 * never freed under it.
 */
final class CausalMasks implements AutoCloseable {
    private final NDManager manager;
    private final int maxPositions;
    private final List<NDArray> retired = new ArrayList<>();
    private NDArray full;
    private int size;

    CausalMasks(NDManager manager, int maxPositions) {
        this.manager = manager;
        this.maxPositions = maxPositions;
    }

    /** Rows {@code offset .. offset+t} and columns {@code 0 .. offset+t}: the mask of t new queries after offset keys. */
    synchronized NDArray slice(int offset, int t) {
        int needed = offset + t;
        if (full == null || size < needed) {
            int grown = Math.max(16, Integer.highestOneBit(Math.max(1, needed - 1)) << 1);
            grown = Math.max(needed, Math.min(grown, maxPositions));
            float[] values = new float[grown * grown];
            for (int i = 0; i < grown; i++) {
                for (int j = i + 1; j < grown; j++) {
                    values[i * grown + j] = Float.NEGATIVE_INFINITY;
                }
            }
            NDArray created = manager.create(values, new Shape(grown, grown));
            NDScope.unregister(created);
            if (full != null) {
                retired.add(full);
            }
            full = created;
            size = grown;
        }
        return full.get(new NDIndex("{}:{}, 0:{}", offset, needed, needed));
    }

    @Override
    public synchronized void close() {
        retired.forEach(NDArray::close);
        retired.clear();
        if (full != null) {
            full.close();
            full = null;
        }
    }
}
