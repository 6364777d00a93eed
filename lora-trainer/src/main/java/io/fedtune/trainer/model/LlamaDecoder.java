package io.fedtune.trainer.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import io.fedtune.trainer.peft.PeftState;
import java.util.List;

/**
 * LLaMA-family decoder (Llama, Mistral, Qwen2): RMSNorm, rotary position embeddings with {@code rope_theta},
 * grouped-query attention, SwiGLU MLP, optional q/k/v bias and tied embeddings.
 *
 * <p>For speed the q/k/v projections are one matmul (their weights concatenated at load time) and so are gate/up;
 * keys and values are never repeated for grouped-query attention: the queries of a group are folded into the
 * sequence axis instead. RoPE tables and causal masks are computed once and cached.
 */
final class LlamaDecoder extends Decoder {
    private static final List<String> SLOTS =
            List.of("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj");
    static final int Q = 0, K = 1, V = 2, O = 3, GATE = 4, UP = 5, DOWN = 6;

    private record Layer(
            NDArray inputNorm,
            NDArray wqkv,
            NDArray bqkv,
            NDArray wo,
            NDArray bo,
            NDArray postNorm,
            NDArray wgu,
            NDArray wd) {}

    private final Layer[] layers;
    private final NDArray embed;
    private final NDArray finalNorm;
    private final NDArray lmHead;
    private final NDArray cos;
    private final NDArray sin;
    private final NDArray cosQ;
    private final NDArray sinQ;
    private final CausalMasks masks;

    LlamaDecoder(ModelConfig c, NDManager manager, WeightSource weights) {
        super(c, manager);
        int h = c.hidden();
        int qd = c.queryDim();
        int kd = c.kvDim();
        int inter = c.intermediate();
        embed = weight(weights.read("model.embed_tokens.weight", c.vocabSize(), h), c.vocabSize(), h);
        layers = new Layer[c.layers()];
        boolean oBias = c.attentionBias() && c.architecture() != Architecture.QWEN2;
        for (int l = 0; l < c.layers(); l++) {
            String p = "model.layers." + l + ".";
            NDArray inputNorm = weight(weights.read(p + "input_layernorm.weight", h), h);
            float[] q = weights.read(p + "self_attn.q_proj.weight", qd, h);
            float[] k = weights.read(p + "self_attn.k_proj.weight", kd, h);
            float[] v = weights.read(p + "self_attn.v_proj.weight", kd, h);
            NDArray wqkv = weight(concat(q, k, v), qd + 2L * kd, h);
            NDArray bqkv = null;
            if (c.attentionBias()) {
                bqkv = weight(
                        concat(
                                weights.read(p + "self_attn.q_proj.bias", qd),
                                weights.read(p + "self_attn.k_proj.bias", kd),
                                weights.read(p + "self_attn.v_proj.bias", kd)),
                        qd + 2L * kd);
            }
            NDArray wo = weight(weights.read(p + "self_attn.o_proj.weight", h, qd), h, qd);
            NDArray bo = oBias ? weight(weights.read(p + "self_attn.o_proj.bias", h), h) : null;
            NDArray postNorm = weight(weights.read(p + "post_attention_layernorm.weight", h), h);
            NDArray wgu = weight(
                    concat(
                            weights.read(p + "mlp.gate_proj.weight", inter, h),
                            weights.read(p + "mlp.up_proj.weight", inter, h)),
                    2L * inter,
                    h);
            NDArray wd = weight(weights.read(p + "mlp.down_proj.weight", h, inter), h, inter);
            layers[l] = new Layer(inputNorm, wqkv, bqkv, wo, bo, postNorm, wgu, wd);
        }
        finalNorm = weight(weights.read("model.norm.weight", h), h);
        if (c.tieEmbeddings()) {
            lmHead = embed;
        } else {
            lmHead = weight(weights.read("lm_head.weight", c.vocabSize(), h), c.vocabSize(), h);
        }
        float[][] tables = ropeTables(c);
        int hd = c.headDim();
        cos = frozen(tables[0], c.maxPositions(), hd);
        sin = frozen(tables[1], c.maxPositions(), hd);
        cosQ = frozen(tables[2], c.maxPositions(), hd);
        sinQ = frozen(tables[3], c.maxPositions(), hd);
        masks = new CausalMasks(manager, c.maxPositions());
    }

    private NDArray frozen(float[] values, long... shape) {
        NDArray array = manager.create(values, new Shape(shape));
        NDScope.unregister(array);
        return array;
    }

    private static float[] concat(float[]... parts) {
        int n = 0;
        for (float[] p : parts) {
            n += p.length;
        }
        float[] out = new float[n];
        int at = 0;
        for (float[] p : parts) {
            System.arraycopy(p, 0, out, at, p.length);
            at += p.length;
        }
        return out;
    }

    /**
     * cos, signed sin, and both scaled by 1/√headDim for the queries, [maxPositions, headDim], computed in float as
     * Hugging Face does. The sign of the sine's first half folds {@code rotate_half}'s negation into the table.
     */
    static float[][] ropeTables(ModelConfig c) {
        int hd = c.headDim();
        int half = hd / 2;
        float[] inv = new float[half];
        for (int i = 0; i < half; i++) {
            float exponent = (float) (2 * i) / hd;
            inv[i] = 1.0f / (float) Math.pow(c.ropeTheta(), exponent);
        }
        float qScale = (float) (1.0 / Math.sqrt(hd));
        int n = c.maxPositions() * hd;
        float[] cos = new float[n];
        float[] sin = new float[n];
        float[] cosQ = new float[n];
        float[] sinQ = new float[n];
        for (int pos = 0; pos < c.maxPositions(); pos++) {
            for (int i = 0; i < half; i++) {
                float angle = (float) pos * inv[i];
                float cv = (float) Math.cos(angle);
                float sv = (float) Math.sin(angle);
                int row = pos * hd;
                cos[row + i] = cv;
                cos[row + half + i] = cv;
                sin[row + i] = -sv;
                sin[row + half + i] = sv;
                cosQ[row + i] = cv * qScale;
                cosQ[row + half + i] = cv * qScale;
                sinQ[row + i] = -sv * qScale;
                sinQ[row + half + i] = sv * qScale;
            }
        }
        return new float[][] {cos, sin, cosQ, sinQ};
    }

    @Override
    NDArray embed(NDArray ids) {
        return ids.getNDArrayInternal()
                .embedding(ids, embed, SparseFormat.DENSE)
                .singletonOrThrow();
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
        String block = slot <= O ? ".self_attn." : ".mlp.";
        return "model.layers." + layer + block + SLOTS.get(slot);
    }

    @Override
    long[] slotShape(int slot) {
        int h = config.hidden();
        return switch (slot) {
            case Q -> new long[] {config.queryDim(), h};
            case K, V -> new long[] {config.kvDim(), h};
            case O -> new long[] {h, config.queryDim()};
            case GATE, UP -> new long[] {config.intermediate(), h};
            case DOWN -> new long[] {h, config.intermediate()};
            default -> throw new IllegalArgumentException("slot " + slot);
        };
    }

    @Override
    NDArray blocks(NDArray x, int offset, KvCache cache, PeftState peft, boolean training) {
        long b = x.getShape().get(0);
        int t = (int) x.getShape().get(1);
        NDArray cosT = cos.get(new NDIndex("{}:{}", offset, offset + t)).reshape(t, 1, config.headDim());
        NDArray sinT = sin.get(new NDIndex("{}:{}", offset, offset + t)).reshape(t, 1, config.headDim());
        NDArray cosQT = cosQ.get(new NDIndex("{}:{}", offset, offset + t)).reshape(t, 1, config.headDim());
        NDArray sinQT = sinQ.get(new NDIndex("{}:{}", offset, offset + t)).reshape(t, 1, config.headDim());
        NDArray mask = mask(t, offset);
        NDArray h = x.reshape(b * t, config.hidden());
        for (int l = 0; l < layers.length; l++) {
            h = block(l, h, b, t, cache, peft, training, cosT, sinT, cosQT, sinQT, mask);
        }
        return rmsNorm(h, finalNorm);
    }

    private NDArray block(
            int l,
            NDArray x,
            long b,
            int t,
            KvCache cache,
            PeftState peft,
            boolean training,
            NDArray cosT,
            NDArray sinT,
            NDArray cosQT,
            NDArray sinQT,
            NDArray mask) {
        Layer w = layers[l];
        int hd = config.headDim();
        int nh = config.heads();
        int nkv = config.kvHeads();
        int g = nh / nkv;
        int qd = config.queryDim();
        int kd = config.kvDim();

        NDArray h = rmsNorm(x, w.inputNorm());
        NDList qkv = linear(h, w.wqkv(), w.bqkv()).split(new long[] {qd, qd + kd}, 1);
        NDArray q = withLora(qkv.get(0), h, peft, l, Q, training).reshape(b, t, nh, hd);
        NDArray k = withLora(qkv.get(1), h, peft, l, K, training).reshape(b, t, nkv, hd);
        NDArray v = withLora(qkv.get(2), h, peft, l, V, training).reshape(b, t, nkv, hd);
        q = rope(q, cosQT, sinQT);
        k = rope(k, cosT, sinT).transpose(0, 2, 1, 3);
        v = v.transpose(0, 2, 1, 3);
        if (cache != null) {
            NDList kv = cache.append(l, k, v);
            k = kv.get(0);
            v = kv.get(1);
        }
        long tk = k.getShape().get(2);
        // [B, T, nkv, g, hd] -> [B, nkv, g*T, hd]: a group's queries share one key/value head without copying it
        NDArray qg = q.reshape(b, t, nkv, g, hd).transpose(0, 2, 3, 1, 4).reshape(b, nkv, (long) g * t, hd);
        NDArray scores = qg.matMul(k.transpose(0, 1, 3, 2));
        if (mask != null) {
            scores = scores.reshape(b, nkv, g, t, tk).add(mask).reshape(b, nkv, (long) g * t, tk);
        }
        NDArray context = scores.softmax(-1)
                .matMul(v)
                .reshape(b, nkv, g, t, hd)
                .transpose(0, 3, 1, 2, 4)
                .reshape(b * t, qd);
        NDArray attn = withLora(linear(context, w.wo(), w.bo()), context, peft, l, O, training);
        NDArray x1 = x.add(attn);

        NDArray h2 = rmsNorm(x1, w.postNorm());
        NDList gu = linear(h2, w.wgu(), null).split(new long[] {config.intermediate()}, 1);
        NDArray gate = withLora(gu.get(0), h2, peft, l, GATE, training);
        NDArray up = withLora(gu.get(1), h2, peft, l, UP, training);
        NDArray act = gate.mul(gate.getNDArrayInternal().sigmoid()).mul(up);
        NDArray down = withLora(linear(act, w.wd(), null), act, peft, l, DOWN, training);
        return x1.add(down);
    }

    /** {@code x·cos + rotate_half(x)·sin}, with rotate_half's sign already in the sine table. */
    private static NDArray rope(NDArray x, NDArray cosT, NDArray sinT) {
        Shape s = x.getShape();
        NDArray rotated =
                x.reshape(s.get(0), s.get(1), s.get(2), 2, s.get(3) / 2).flip(3).reshape(s);
        return x.mul(cosT).add(rotated.mul(sinT));
    }

    private NDArray rmsNorm(NDArray x, NDArray weight) {
        NDArray variance = x.square().mean(new int[] {-1}, true);
        return x.mul(variance.add(constant(config.normEps())).pow(constant(-0.5)))
                .mul(weight);
    }

    /** The additive causal mask [T, offset+T] (0 or -inf), or null when one query sees everything. */
    private NDArray mask(int t, int offset) {
        return t == 1 ? null : masks.slice(offset, t);
    }

    void close() {
        masks.close();
    }
}
