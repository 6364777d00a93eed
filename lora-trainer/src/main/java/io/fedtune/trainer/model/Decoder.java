package io.fedtune.trainer.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import io.fedtune.trainer.peft.LoraModule;
import io.fedtune.trainer.peft.PeftState;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The architecture-specific part of a causal decoder: its weights, its blocks, and the names of the modules LoRA may
 * adapt. Every op is written against DJL's NDArray so that autograd flows through LoRA (and prompt) tensors only; base
 * weights never require gradients.
 */
abstract class Decoder {
    protected final ModelConfig config;
    protected final NDManager manager;
    protected long parameterCount;
    final List<NDArray> weights = new ArrayList<>();
    private final Map<Float, NDArray> constants = new ConcurrentHashMap<>();

    Decoder(ModelConfig config, NDManager manager) {
        this.config = config;
        this.manager = manager;
    }

    /** Token embeddings [B, T, H] of int64 ids [B, T]. */
    abstract NDArray embed(NDArray ids);

    /**
     * Runs every block over {@code x} [B, T, H] whose first position is {@code offset}, and the final norm.
     *
     * @return normed hidden states [B*T, H]
     */
    abstract NDArray blocks(NDArray x, int offset, KvCache cache, PeftState peft, boolean training);

    /** The output projection [V, H] (the embedding matrix when tied). */
    abstract NDArray outputWeight();

    /** Target names of the LoRA-eligible modules of one block, in slot order. */
    abstract List<String> slotNames();

    /** The module path of {@code slot} in {@code layer}, such as {@code model.layers.0.self_attn.q_proj}. */
    abstract String modulePath(int layer, int slot);

    /** [out, in] of the module in {@code slot}. */
    abstract long[] slotShape(int slot);

    /** Frees caches the decoder holds beyond its weights (the weights go with the manager). */
    void close() {}

    final List<String> modulePaths() {
        List<String> paths = new ArrayList<>();
        for (int l = 0; l < config.layers(); l++) {
            for (int s = 0; s < slotNames().size(); s++) {
                paths.add(modulePath(l, s));
            }
        }
        return paths;
    }

    final int moduleIndex(int layer, int slot) {
        return layer * slotNames().size() + slot;
    }

    /** Creates a frozen weight owned by the model, out of any open NDScope. */
    final NDArray weight(float[] values, long... shape) {
        NDArray array = manager.create(values, new Shape(shape));
        NDScope.unregister(array);
        parameterCount += values.length;
        weights.add(array);
        return array;
    }

    /**
     * A float scalar owned by the model, for use as an operand in the graph instead of DJL's {@code mul(Number)},
     * {@code div(Number)} or {@code pow(Number)}. Those wrap the number in a scalar tensor over a direct buffer and
     * close it as soon as the op returns; autograd has saved that tensor (MulBackward, DivBackward and PowBackward keep
     * their other operand) and reads it again in backward, after the GC may have freed and reused the buffer. The
     * gradient then comes out wrong at random, NaN when the garbage is NaN or a fractional exponent of a negative base.
     * Constants made here live as long as the model, are never written, and are safe to share between threads.
     */
    final NDArray constant(double value) {
        return constants.computeIfAbsent((float) value, v -> {
            NDArray scalar = manager.create(v.floatValue());
            NDScope.unregister(scalar);
            return scalar;
        });
    }

    static NDArray linear(NDArray x, NDArray weight, NDArray bias) {
        return x.getNDArrayInternal().linear(x, weight, bias).singletonOrThrow();
    }

    /** {@code base + scale·B·A·dropout(x)} when {@code peft} adapts the module, else {@code base}. */
    final NDArray withLora(NDArray base, NDArray x, PeftState peft, int layer, int slot, boolean training) {
        if (peft == null) {
            return base;
        }
        LoraModule lora = peft.lora(moduleIndex(layer, slot));
        if (lora == null) {
            return base;
        }
        NDArray in = x;
        if (training && peft.config().dropout() > 0) {
            in = x.getNDArrayInternal()
                    .dropout(x, (float) peft.config().dropout(), true)
                    .singletonOrThrow();
        }
        NDArray down = linear(in, lora.a(), null).mul(constant(lora.scale()));
        return base.add(linear(down, lora.b(), null));
    }
}
