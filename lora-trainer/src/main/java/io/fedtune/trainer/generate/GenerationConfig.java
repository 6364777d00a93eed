package io.fedtune.trainer.generate;

import java.util.List;

/**
 * How {@link Generator} picks tokens.
 *
 * @param maxNewTokens how many tokens to generate at most
 * @param temperature divides the logits before sampling; 0 means greedy (always the most likely token)
 * @param topK sample only among the k most likely tokens; 0 means no limit
 * @param topP sample only among the most likely tokens whose probabilities add up to p (nucleus); 1 means no limit
 * @param stopTokens generation ends at the first of these (which is not returned)
 * @param seed the seed of the sampling; the same seed, model and prompt give the same tokens
 * @param useCache keep attention keys and values between steps instead of running the whole sequence again
 */
public record GenerationConfig(
        int maxNewTokens,
        double temperature,
        int topK,
        double topP,
        List<Integer> stopTokens,
        long seed,
        boolean useCache) {

    public GenerationConfig {
        if (maxNewTokens < 1) {
            throw new IllegalArgumentException("maxNewTokens must be at least 1, got " + maxNewTokens);
        }
        if (!(temperature >= 0) || Double.isInfinite(temperature)) {
            throw new IllegalArgumentException("temperature must be 0 (greedy) or positive, got " + temperature);
        }
        if (topK < 0) {
            throw new IllegalArgumentException("topK must be 0 (off) or positive, got " + topK);
        }
        if (!(topP > 0 && topP <= 1)) {
            throw new IllegalArgumentException("topP must be in (0, 1], got " + topP);
        }
        stopTokens = List.copyOf(stopTokens);
    }

    /** Greedy decoding with the cache, no stop tokens. */
    public static GenerationConfig greedy(int maxNewTokens) {
        return new GenerationConfig(maxNewTokens, 0, 0, 1, List.of(), 0, true);
    }

    public GenerationConfig withSampling(double newTemperature, int newTopK, double newTopP, long newSeed) {
        return new GenerationConfig(maxNewTokens, newTemperature, newTopK, newTopP, stopTokens, newSeed, useCache);
    }

    public GenerationConfig withStopTokens(List<Integer> newStopTokens) {
        return new GenerationConfig(maxNewTokens, temperature, topK, topP, newStopTokens, seed, useCache);
    }

    public GenerationConfig withCache(boolean newUseCache) {
        return new GenerationConfig(maxNewTokens, temperature, topK, topP, stopTokens, seed, newUseCache);
    }

    /** True when no randomness is involved. */
    public boolean isGreedy() {
        return temperature == 0;
    }
}
