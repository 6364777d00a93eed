package io.fedtune.trainer.data;

import java.util.Arrays;
import java.util.Optional;

/**
 * One training sequence: token ids and where the response starts. The loss counts only the predictions of tokens at
 * positions {@code >= promptLength} (the prompt is context, not target).
 *
 * @param tokens the token ids, prompt then response
 * @param promptLength tokens of prompt; 0 trains on every token after the first
 */
public record TokenizedExample(int[] tokens, int promptLength) {
    public TokenizedExample {
        if (tokens == null || tokens.length < 2) {
            throw new IllegalArgumentException("an example needs at least two tokens");
        }
        if (promptLength < 0 || promptLength >= tokens.length) {
            throw new IllegalArgumentException(
                    "promptLength " + promptLength + " leaves no response token in " + tokens.length + " tokens");
        }
    }

    /** Positions whose token is scored (response tokens; the first token is never scored). */
    public int targetCount() {
        return tokens.length - Math.max(1, promptLength);
    }

    /** The example cut to its first {@code maxLength} tokens, or empty when no response token would remain. */
    public Optional<TokenizedExample> truncate(int maxLength) {
        if (tokens.length <= maxLength) {
            return Optional.of(this);
        }
        if (maxLength < 2 || promptLength >= maxLength) {
            return Optional.empty();
        }
        return Optional.of(new TokenizedExample(Arrays.copyOf(tokens, maxLength), promptLength));
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof TokenizedExample e && promptLength == e.promptLength && Arrays.equals(tokens, e.tokens);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(tokens) + promptLength;
    }

    @Override
    public String toString() {
        return "TokenizedExample[tokens=" + Arrays.toString(tokens) + ", promptLength=" + promptLength + "]";
    }
}
