package io.fedtune.trainer.eval;

/**
 * Loss of a model on held-out examples.
 *
 * @param loss mean negative log-likelihood per response token (nats)
 * @param perplexity {@code exp(loss)}
 * @param tokens response tokens scored
 */
public record EvalResult(double loss, double perplexity, long tokens) {}
