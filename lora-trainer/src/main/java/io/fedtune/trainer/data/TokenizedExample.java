package io.fedtune.trainer.data;

/** One training sequence as token ids; the loss counts only positions at or after {@code promptLength}. */
public record TokenizedExample(int[] tokens, int promptLength) {}
