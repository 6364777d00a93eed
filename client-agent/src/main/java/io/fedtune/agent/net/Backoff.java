package io.fedtune.agent.net;

import java.time.Duration;
import java.util.Random;

/**
 * Exponential backoff with jitter: the n-th delay is drawn uniformly from [d/2, d] with d = min(max, initial · 2ⁿ),
 * so a fleet of agents that lost the server at the same moment does not come back at the same moment.
 */
public final class Backoff {

    private final Duration initial;
    private final Duration max;
    private final Random random;
    private int failures;

    public Backoff(Duration initial, Duration max, Random random) {
        if (initial.isNegative() || initial.isZero() || max.compareTo(initial) < 0) {
            throw new IllegalArgumentException("backoff needs 0 < initial <= max, got " + initial + " and " + max);
        }
        this.initial = initial;
        this.max = max;
        this.random = random;
    }

    /** The delay before the next attempt; each call doubles the ceiling until {@code max}. */
    public Duration next() {
        long ceiling = initial.toMillis();
        for (int i = 0; i < failures && ceiling < max.toMillis(); i++) {
            ceiling *= 2;
        }
        ceiling = Math.min(ceiling, max.toMillis());
        failures++;
        long half = ceiling / 2;
        return Duration.ofMillis(half + (long) (random.nextDouble() * (ceiling - half + 1)));
    }

    /** Consecutive failures so far. */
    public int failures() {
        return failures;
    }

    /** Back to the initial delay after a success. */
    public void reset() {
        failures = 0;
    }
}
