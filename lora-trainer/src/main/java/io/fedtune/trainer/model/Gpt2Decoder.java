package io.fedtune.trainer.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import io.fedtune.trainer.peft.PeftState;
import java.util.List;

/**
 * GPT-2: learned positions, LayerNorm, fused {@code c_attn}, GELU (tanh approximation, {@code gelu_new}). Checkpoint
 * keys may carry the {@code transformer.} prefix or not; Conv1D weights are stored [in, out] and transposed once at
 * load time. Module paths (and so PEFT keys) always use {@code transformer.h.N…}, as {@code GPT2LMHeadModel} names
 * them.
 */
final class Gpt2Decoder extends Decoder {
    private static final List<String> SLOTS = List.of("c_attn", "c_proj", "c_fc", "c_proj");
    static final int ATTN = 0, ATTN_PROJ = 1, FC = 2, MLP_PROJ = 3;
    private static final double GELU_C = Math.sqrt(2 / Math.PI);

    private record Layer(
            NDArray ln1w,
            NDArray ln1b,
            NDArray wAttn,
            NDArray bAttn,
            NDArray wProj,
            NDArray bProj,
            NDArray ln2w,
            NDArray ln2b,
            NDArray wFc,
            NDArray bFc,
            NDArray wOut,
            NDArray bOut) {}

    private final Layer[] layers;
    private final NDArray wte;
    private final NDArray wpe;
    private final NDArray lnfW;
    private final NDArray lnfB;
    private final NDArray lmHead;
    private final CausalMasks masks;

    Gpt2Decoder(ModelConfig c, NDManager manager, WeightSource weights) {
        super(c, manager);
        String p = weights.has("transformer.wte.weight") ? "transformer." : "";
        int h = c.hidden();
        int inter = c.intermediate();
        wte = weight(weights.read(p + "wte.weight", c.vocabSize(), h), c.vocabSize(), h);
        wpe = weight(weights.read(p + "wpe.weight", c.maxPositions(), h), c.maxPositions(), h);
        layers = new Layer[c.layers()];
        for (int l = 0; l < c.layers(); l++) {
            String b = p + "h." + l + ".";
            layers[l] = new Layer(
                    weight(weights.read(b + "ln_1.weight", h), h),
                    weight(weights.read(b + "ln_1.bias", h), h),
                    conv1d(weights.read(b + "attn.c_attn.weight", h, 3L * h), h, 3 * h),
                    weight(weights.read(b + "attn.c_attn.bias", 3L * h), 3L * h),
                    conv1d(weights.read(b + "attn.c_proj.weight", h, h), h, h),
                    weight(weights.read(b + "attn.c_proj.bias", h), h),
                    weight(weights.read(b + "ln_2.weight", h), h),
                    weight(weights.read(b + "ln_2.bias", h), h),
                    conv1d(weights.read(b + "mlp.c_fc.weight", h, inter), h, inter),
                    weight(weights.read(b + "mlp.c_fc.bias", inter), inter),
                    conv1d(weights.read(b + "mlp.c_proj.weight", inter, h), inter, h),
                    weight(weights.read(b + "mlp.c_proj.bias", h), h));
        }
        lnfW = weight(weights.read(p + "ln_f.weight", h), h);
        lnfB = weight(weights.read(p + "ln_f.bias", h), h);
        if (c.tieEmbeddings() || !weights.has("lm_head.weight")) {
            lmHead = wte;
        } else {
            lmHead = weight(weights.read("lm_head.weight", c.vocabSize(), h), c.vocabSize(), h);
        }
        masks = new CausalMasks(manager, c.maxPositions());
    }

    /** A Conv1D weight [in, out] as a linear weight [out, in]. */
    private NDArray conv1d(float[] inOut, int in, int out) {
        float[] outIn = new float[inOut.length];
        for (int i = 0; i < in; i++) {
            int row = i * out;
            for (int o = 0; o < out; o++) {
                outIn[o * in + i] = inOut[row + o];
            }
        }
        return weight(outIn, out, in);
    }

    @Override
    NDArray embed(NDArray ids) {
        return ids.getNDArrayInternal().embedding(ids, wte, SparseFormat.DENSE).singletonOrThrow();
    }

    @Override
    NDArray outputWeight() {
        return lmHead;
    }

    @Override
    List<String> slotNames() {
        return SLOTS;
    }

    @Override
    String modulePath(int layer, int slot) {
        String block = slot <= ATTN_PROJ ? ".attn." : ".mlp.";
        return "transformer.h." + layer + block + SLOTS.get(slot);
    }

    @Override
    long[] slotShape(int slot) {
        int h = config.hidden();
        return switch (slot) {
            case ATTN -> new long[] {3L * h, h};
            case ATTN_PROJ -> new long[] {h, h};
            case FC -> new long[] {config.intermediate(), h};
            case MLP_PROJ -> new long[] {h, config.intermediate()};
            default -> throw new IllegalArgumentException("slot " + slot);
        };
    }

    @Override
    NDArray blocks(NDArray x, int offset, KvCache cache, PeftState peft, boolean training) {
        long b = x.getShape().get(0);
        int t = (int) x.getShape().get(1);
        NDArray positions = wpe.get(new NDIndex("{}:{}", offset, offset + t));
        NDArray h = x.add(positions).reshape(b * t, config.hidden());
        NDArray mask = t == 1 ? null : masks.slice(offset, t);
        for (int l = 0; l < layers.length; l++) {
            h = block(l, h, b, t, cache, peft, training, mask);
        }
        return layerNorm(h, lnfW, lnfB);
    }

    private NDArray block(
            int l, NDArray x, long b, int t, KvCache cache, PeftState peft, boolean training, NDArray mask) {
        Layer w = layers[l];
        int nh = config.heads();
        int hd = config.headDim();
        int hidden = config.hidden();
        NDArray h = layerNorm(x, w.ln1w(), w.ln1b());
        NDArray qkv = withLora(linear(h, w.wAttn(), w.bAttn()), h, peft, l, ATTN, training);
        NDList parts = qkv.split(3, 1);
        NDArray q = parts.get(0).reshape(b, t, nh, hd).transpose(0, 2, 1, 3).mul(constant(1.0 / Math.sqrt(hd)));
        NDArray k = parts.get(1).reshape(b, t, nh, hd).transpose(0, 2, 1, 3);
        NDArray v = parts.get(2).reshape(b, t, nh, hd).transpose(0, 2, 1, 3);
        if (cache != null) {
            NDList kv = cache.append(l, k, v);
            k = kv.get(0);
            v = kv.get(1);
        }
        NDArray scores = q.matMul(k.transpose(0, 1, 3, 2));
        if (mask != null) {
            scores = scores.add(mask);
        }
        NDArray context = scores.softmax(-1).matMul(v).transpose(0, 2, 1, 3).reshape(b * t, hidden);
        NDArray attn = withLora(linear(context, w.wProj(), w.bProj()), context, peft, l, ATTN_PROJ, training);
        NDArray x1 = x.add(attn);
        NDArray h2 = layerNorm(x1, w.ln2w(), w.ln2b());
        NDArray fc = withLora(linear(h2, w.wFc(), w.bFc()), h2, peft, l, FC, training);
        NDArray act = geluTanh(fc);
        NDArray out = withLora(linear(act, w.wOut(), w.bOut()), act, peft, l, MLP_PROJ, training);
        return x1.add(out);
    }

    private NDArray layerNorm(NDArray x, NDArray gamma, NDArray beta) {
        return x.getNDArrayInternal()
                .layerNorm(x, new Shape(config.hidden()), gamma, beta, (float) config.normEps())
                .singletonOrThrow();
    }

    /** GPT-2's {@code gelu_new}: 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))). */
    private NDArray geluTanh(NDArray x) {
        NDArray inner = x.pow(constant(3)).mul(constant(0.044715)).add(x).mul(constant(GELU_C));
        return x.mul(constant(0.5)).mul(inner.getNDArrayInternal().tanh().add(constant(1)));
    }

    @Override
    void close() {
        masks.close();
    }
}
