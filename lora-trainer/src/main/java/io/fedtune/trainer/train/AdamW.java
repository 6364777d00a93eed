package io.fedtune.trainer.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import io.fedtune.protocol.safetensors.DType;
import io.fedtune.protocol.safetensors.SafetensorsFile;
import io.fedtune.protocol.safetensors.SafetensorsWriter;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * AdamW (Loshchilov and Hutter, arXiv 1711.05101) over named tensors, with global-norm clipping and the FedProx
 * gradient μ·(w − w_global). Written here rather than taken from DJL so that its moments can be checkpointed and
 * restored, which resuming a run needs. Updates run with autograd off and zero the gradients afterwards.
 */
final class AdamW implements AutoCloseable {
    private static final double BETA1 = 0.9;
    private static final double BETA2 = 0.999;
    private static final double EPS = 1e-8;

    private final Map<String, NDArray> params;
    private final Map<String, NDArray> anchors;
    private final NDManager manager;
    private final Map<String, NDArray> m = new LinkedHashMap<>();
    private final Map<String, NDArray> v = new LinkedHashMap<>();
    private int t;

    /**
     * @param params trainable tensors by name
     * @param proximalAnchors the global weights FedProx pulls towards, by name, or null without FedProx
     */
    AdamW(Map<String, NDArray> params, Map<String, NDArray> proximalAnchors, NDManager parent) {
        this.params = params;
        this.anchors = proximalAnchors;
        this.manager = parent.newSubManager();
        for (Map.Entry<String, NDArray> e : params.entrySet()) {
            m.put(e.getKey(), state(e.getValue().getShape()));
            v.put(e.getKey(), state(e.getValue().getShape()));
        }
    }

    private NDArray state(Shape shape) {
        NDArray a = manager.zeros(shape);
        NDScope.unregister(a);
        return a;
    }

    /**
     * One update.
     *
     * @return the global gradient norm before clipping (FedProx term included)
     * @throws TrainingDivergedException when that norm is NaN or infinite; nothing is updated then
     */
    double step(double lr, double weightDecay, double clipNorm, double mu) {
        boolean gradMode = JniUtils.isGradMode();
        JniUtils.setGradMode(false);
        try (NDScope scope = new NDScope()) {
            Map<String, NDArray> grads = new LinkedHashMap<>();
            double squared = 0;
            for (Map.Entry<String, NDArray> e : params.entrySet()) {
                NDArray g = e.getValue().getGradient();
                if (mu > 0 && anchors != null) {
                    g.addi(e.getValue().sub(anchors.get(e.getKey())).muli(mu));
                }
                grads.put(e.getKey(), g);
                squared += g.square().sum().getFloat();
            }
            double norm = Math.sqrt(squared);
            if (!Double.isFinite(norm)) {
                // a NaN norm slips past the clipping test and an infinite one scales by 0 (inf·0 = NaN): either way
                // the update would write NaN into the adapter, so refuse it and leave the tensors as they are
                for (NDArray p : params.values()) {
                    JniUtils.zeroGrad((PtNDArray) p);
                }
                throw new TrainingDivergedException(t + 1, "gradient norm", norm);
            }
            double clip = clipNorm > 0 && norm > clipNorm ? clipNorm / (norm + 1e-6) : 1.0;
            t++;
            double bc1 = 1 - Math.pow(BETA1, t);
            double bc2 = 1 - Math.pow(BETA2, t);
            for (Map.Entry<String, NDArray> e : params.entrySet()) {
                String name = e.getKey();
                NDArray p = e.getValue();
                NDArray g = grads.get(name);
                if (clip != 1.0) {
                    g.muli(clip);
                }
                NDArray mt = m.get(name).muli(BETA1).addi(g.mul(1 - BETA1));
                NDArray vt = v.get(name).muli(BETA2).addi(g.square().muli(1 - BETA2));
                if (weightDecay > 0) {
                    p.muli(1 - lr * weightDecay);
                }
                NDArray denom = vt.sqrt().divi(Math.sqrt(bc2)).addi(EPS);
                p.subi(mt.div(denom).muli(lr / bc1));
                JniUtils.zeroGrad((PtNDArray) p);
            }
            return norm;
        } finally {
            JniUtils.setGradMode(gradMode);
        }
    }

    int stepCount() {
        return t;
    }

    void save(Path file) throws IOException {
        SafetensorsWriter w = new SafetensorsWriter().metadata("step", Integer.toString(t));
        for (String name : params.keySet()) {
            w.addFloats(
                    "m." + name,
                    DType.F32,
                    m.get(name).getShape().getShape(),
                    m.get(name).toFloatArray());
            w.addFloats(
                    "v." + name,
                    DType.F32,
                    v.get(name).getShape().getShape(),
                    v.get(name).toFloatArray());
        }
        w.writeTo(file);
    }

    void load(Path file) throws IOException {
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            for (String name : params.keySet()) {
                m.get(name).set(f.readFloats("m." + name));
                v.get(name).set(f.readFloats("v." + name));
            }
            t = Integer.parseInt(f.metadata().get("step"));
        }
    }

    @Override
    public void close() {
        manager.close();
    }
}
