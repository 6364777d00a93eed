package io.fedtune.trainer.generate;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Picks the next token from one row of logits: greedy, or temperature sampling restricted by top-k and top-p. Works
 * on primitive arrays (no boxing per vocabulary entry); one instance draws a reproducible sequence for its seed.
 */
public final class TokenSampler {

    private final GenerationConfig config;
    private final SplittableRandom random;

    public TokenSampler(GenerationConfig config) {
        this.config = config;
        this.random = new SplittableRandom(config.seed());
    }

    /** The next token for {@code logits} (one score per vocabulary entry). */
    public int next(float[] logits) {
        if (logits.length == 0) {
            throw new IllegalArgumentException("no logits");
        }
        if (config.isGreedy()) {
            return argmax(logits);
        }
        int[] candidates = rankDescending(logits, config.topK());
        double max = logits[candidates[0]];
        double[] weights = new double[candidates.length];
        double total = 0;
        for (int i = 0; i < candidates.length; i++) {
            float logit = logits[candidates[i]];
            weights[i] = Float.isNaN(logit) ? 0 : Math.exp((logit - max) / config.temperature());
            total += weights[i];
        }
        int kept = candidates.length;
        if (config.topP() < 1) {
            double cumulative = 0;
            for (int i = 0; i < candidates.length; i++) {
                cumulative += weights[i] / total;
                if (cumulative >= config.topP()) {
                    kept = i + 1;
                    break;
                }
            }
            total = 0;
            for (int i = 0; i < kept; i++) {
                total += weights[i];
            }
        }
        if (!(total > 0)) {
            return candidates[0];
        }
        double target = random.nextDouble() * total;
        double cumulative = 0;
        for (int i = 0; i < kept; i++) {
            cumulative += weights[i];
            if (target < cumulative) {
                return candidates[i];
            }
        }
        return candidates[kept - 1];
    }

    /** The index of the largest logit, the lowest index on ties; NaN counts as smallest. */
    public static int argmax(float[] logits) {
        int best = 0;
        for (int i = 1; i < logits.length; i++) {
            if (logits[i] > logits[best] || Float.isNaN(logits[best])) {
                best = i;
            }
        }
        return best;
    }

    /**
     * Vocabulary indices ordered by logit, largest first (ties: lower index first), cut to {@code limit} when it is
     * positive. Sorts packed {@code (orderable float bits, index)} longs to stay on primitives.
     */
    static int[] rankDescending(float[] logits, int limit) {
        long[] keys = new long[logits.length];
        for (int i = 0; i < logits.length; i++) {
            float value = Float.isNaN(logits[i]) ? Float.NEGATIVE_INFINITY : logits[i];
            int bits = Float.floatToIntBits(value == 0f ? 0f : value);
            int orderable = bits ^ ((bits >> 31) & 0x7fffffff);
            // descending value, ascending index: negate the value part, keep the index as is
            keys[i] = ((long) ~orderable << 32) | i;
        }
        Arrays.sort(keys);
        int size = limit > 0 ? Math.min(limit, logits.length) : logits.length;
        int[] ranked = new int[size];
        for (int i = 0; i < size; i++) {
            ranked[i] = (int) keys[i];
        }
        return ranked;
    }
}
