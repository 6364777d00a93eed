package io.fedtune.trainer.data;

import java.util.Objects;

/**
 * One example as text after its template was applied: the model is trained to produce {@code response} after
 * {@code prompt}, and only the response counts in the loss. A plain {@code {"text"}} line has an empty prompt.
 */
public record TextExample(String prompt, String response) {

    public TextExample {
        Objects.requireNonNull(prompt, "prompt");
        Objects.requireNonNull(response, "response");
    }
}
