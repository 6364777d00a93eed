package io.fedtune.trainer.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;

/**
 * Keys and values of the positions a model has already seen, per layer, so that decoding the next token costs one
 * position rather than the whole sequence. Owns native memory: close it.
 */
public final class KvCache implements AutoCloseable {
    private final NDManager manager;
    private final NDArray[] keys;
    private final NDArray[] values;
    private int length;

    KvCache(NDManager parent, int layers) {
        this.manager = parent.newSubManager();
        this.keys = new NDArray[layers];
        this.values = new NDArray[layers];
    }

    /** Positions cached so far (virtual prompt-tuning tokens included). */
    public int length() {
        return length;
    }

    /** Keys cached for {@code layer} ([B, kvHeads, length, headDim]), or null before the first forward. */
    NDArray keys(int layer) {
        return keys[layer];
    }

    NDArray values(int layer) {
        return values[layer];
    }

    /**
     * Appends a layer's new keys and values ([B, kvHeads, T, headDim]) and returns the whole cached keys and values;
     * the returned arrays belong to the cache.
     */
    NDList append(int layer, NDArray newKeys, NDArray newValues) {
        NDArray k = keys[layer] == null ? newKeys.duplicate() : keys[layer].concat(newKeys, 2);
        NDArray v = values[layer] == null ? newValues.duplicate() : values[layer].concat(newValues, 2);
        NDScope.unregister(k, v);
        k.attach(manager);
        v.attach(manager);
        if (keys[layer] != null) {
            keys[layer].close();
            values[layer].close();
        }
        keys[layer] = k;
        values[layer] = v;
        return new NDList(k, v);
    }

    /** Called once per forward, after every layer appended {@code added} positions. */
    void advance(int added) {
        length += added;
    }

    @Override
    public void close() {
        manager.close();
    }
}
