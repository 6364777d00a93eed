package io.fedtune.trainer.generate;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import io.fedtune.trainer.model.KvCache;
import io.fedtune.trainer.model.PretrainedModel;
import io.fedtune.trainer.peft.PeftState;
import java.util.Arrays;
import java.util.function.IntConsumer;

/**
 * Autoregressive decoding of a {@link PretrainedModel}, optionally with a live PEFT state. With {@link
 * GenerationConfig#useCache()} the prompt runs once and each new token costs one position; without, the whole
 * sequence runs again for every token (the slow path, kept to check the cache against).
 */
public final class Generator {

    private Generator() {}

    /**
     * Generates up to {@code config.maxNewTokens()} tokens after {@code prompt}; stops early at a stop token (not
     * returned) or when the model's context is full.
     *
     * @return the new tokens only
     * @throws IllegalArgumentException when the prompt is empty, holds an id outside the vocabulary or does not fit
     *     the model's context
     */
    public static int[] generate(PretrainedModel model, PeftState peft, int[] prompt, GenerationConfig config) {
        return generate(model, peft, prompt, config, token -> {});
    }

    /**
     * As {@link #generate(PretrainedModel, PeftState, int[], GenerationConfig)}, handing each new token to {@code
     * onToken} as soon as it is chosen (for printing text as it comes).
     */
    public static int[] generate(
            PretrainedModel model, PeftState peft, int[] prompt, GenerationConfig config, IntConsumer onToken) {
        int virtual = peft == null || peft.promptEmbeddings() == null
                ? 0
                : (int) peft.promptEmbeddings().getShape().get(0);
        model.checkIds(prompt, virtual);
        int room = model.config().maxPositions() - virtual - prompt.length;
        int limit = Math.min(config.maxNewTokens(), room);
        int[] sequence = Arrays.copyOf(prompt, prompt.length + Math.max(0, limit));
        int length = prompt.length;
        int fed = 0;
        TokenSampler sampler = new TokenSampler(config);
        try (NDManager scratch = model.manager().newSubManager();
                KvCache cache = config.useCache() ? model.newCache() : null) {
            while (length - prompt.length < limit) {
                int[] input =
                        cache == null ? Arrays.copyOf(sequence, length) : Arrays.copyOfRange(sequence, fed, length);
                float[] last;
                try (NDManager step = scratch.newSubManager()) {
                    NDArray ids = step.create(input, new Shape(1, input.length));
                    NDArray logits = model.forward(ids, cache, peft);
                    last = logits.get(new NDIndex(0, input.length - 1)).toFloatArray();
                }
                fed = length;
                int token = sampler.next(last);
                if (config.stopTokens().contains(token)) {
                    break;
                }
                sequence[length++] = token;
                onToken.accept(token);
            }
        }
        return Arrays.copyOfRange(sequence, prompt.length, length);
    }
}
