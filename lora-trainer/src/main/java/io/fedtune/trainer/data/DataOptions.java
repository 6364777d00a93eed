package io.fedtune.trainer.data;

import java.util.Objects;

/**
 * How a JSONL data file becomes examples.
 *
 * @param template how Alpaca and chat lines become a prompt and a response ({@code {"text"}} lines are used as they are)
 * @param skipMalformed skip and count malformed lines instead of failing on the first one
 * @param holdoutFraction the share of examples held out for evaluation, in [0, 1)
 * @param seed the seed of the train/holdout split
 */
public record DataOptions(ChatTemplate template, boolean skipMalformed, double holdoutFraction, long seed) {

    public DataOptions {
        Objects.requireNonNull(template, "template");
        if (!(holdoutFraction >= 0 && holdoutFraction < 1)) {
            throw new IllegalArgumentException("holdoutFraction must be in [0, 1), got " + holdoutFraction);
        }
    }

    /** ChatML, fail on the first malformed line, 10 % holdout, seed 42. */
    public static DataOptions defaults() {
        return new DataOptions(ChatTemplate.CHATML, false, 0.1, 42L);
    }

    public DataOptions withTemplate(ChatTemplate value) {
        return new DataOptions(value, skipMalformed, holdoutFraction, seed);
    }

    public DataOptions withSkipMalformed(boolean value) {
        return new DataOptions(template, value, holdoutFraction, seed);
    }

    public DataOptions withHoldoutFraction(double value) {
        return new DataOptions(template, skipMalformed, value, seed);
    }

    public DataOptions withSeed(long value) {
        return new DataOptions(template, skipMalformed, holdoutFraction, value);
    }
}
