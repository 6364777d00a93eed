package io.fedtune.trainer.testing;

import io.fedtune.trainer.model.PretrainedModel;

/** Per-token negative log-likelihoods computed in Java from a model's plain logits: the trainer's loss, by hand. */
public final class ReferenceNll {
    private ReferenceNll() {}

    /** {@code nll[p] = -log P(tokens[p] | tokens[0..p))} in double precision; {@code nll[0]} is 0 (never predicted). */
    public static double[] perToken(PretrainedModel model, int[] tokens) {
        float[][] logits = model.logits(tokens);
        double[] nll = new double[tokens.length];
        for (int p = 1; p < tokens.length; p++) {
            float[] row = logits[p - 1];
            double max = Double.NEGATIVE_INFINITY;
            for (float v : row) {
                max = Math.max(max, v);
            }
            double sum = 0;
            for (float v : row) {
                sum += Math.exp(v - max);
            }
            nll[p] = max + Math.log(sum) - row[tokens[p]];
        }
        return nll;
    }
}
