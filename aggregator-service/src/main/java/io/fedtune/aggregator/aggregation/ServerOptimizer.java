package io.fedtune.aggregator.aggregation;

import java.util.List;

/**
 * What the server does with the averaged client delta Δ = avg − x: take it (FedAvg), or treat it as a
 * pseudo-gradient for momentum (FedAvgM, Hsu et al. arXiv 1909.06335) or an adaptive optimizer (FedAdagrad, FedAdam,
 * FedYogi; Reddi et al. arXiv 2003.00295). State (momentum m, second moment v) is one value per coordinate, kept
 * between rounds.
 *
 * @param kind which update
 * @param eta server learning rate η
 * @param beta1 β₁ (momentum β for FedAvgM)
 * @param beta2 β₂
 * @param tau τ
 */
public record ServerOptimizer(Kind kind, double eta, double beta1, double beta2, double tau) {

    /** The server update rules. */
    public enum Kind {
        NONE,
        AVGM,
        ADAGRAD,
        ADAM,
        YOGI
    }

    /** Plain averaging. */
    public static ServerOptimizer none() {
        return new ServerOptimizer(Kind.NONE, 1, 0, 0, 0);
    }

    /** The names of the per-coordinate state tensors this optimizer keeps (suffixes of the parameter's name). */
    public List<String> stateSlots() {
        return switch (kind) {
            case NONE -> List.of();
            case AVGM -> List.of("momentum");
            case ADAGRAD -> List.of("v");
            case ADAM, YOGI -> List.of("m", "v");
        };
    }

    /**
     * Computes the new global values.
     *
     * @param x current global values
     * @param avg the (clipped, noised) average of client values
     * @param state the state slots' values, updated in place
     * @param out receives the new global values
     * @param n how many coordinates
     */
    public void apply(float[] x, float[] avg, float[][] state, float[] out, int n) {
        switch (kind) {
            case NONE -> System.arraycopy(avg, 0, out, 0, n);
            case AVGM -> {
                float[] v = state[0];
                float b = (float) beta1;
                float lr = (float) eta;
                for (int j = 0; j < n; j++) {
                    v[j] = b * v[j] + (avg[j] - x[j]);
                    out[j] = x[j] + lr * v[j];
                }
            }
            case ADAGRAD, ADAM, YOGI -> adaptive(x, avg, state, out, n);
        }
    }

    private void adaptive(float[] x, float[] avg, float[][] state, float[] out, int n) {
        float[] m = state.length == 2 ? state[0] : null;
        float[] v = state[state.length - 1];
        double b1 = beta1;
        double b2 = beta2;
        for (int j = 0; j < n; j++) {
            double d = avg[j] - x[j];
            double d2 = d * d;
            double mj;
            if (kind == Kind.ADAGRAD) {
                mj = d;
                v[j] = (float) (v[j] + d2);
            } else {
                mj = b1 * m[j] + (1 - b1) * d;
                m[j] = (float) mj;
                v[j] = kind == Kind.ADAM
                        ? (float) (b2 * v[j] + (1 - b2) * d2)
                        : (float) (v[j] - (1 - b2) * d2 * Math.signum(v[j] - d2));
            }
            out[j] = (float) (x[j] + eta * mj / (Math.sqrt(v[j]) + tau));
        }
    }
}
