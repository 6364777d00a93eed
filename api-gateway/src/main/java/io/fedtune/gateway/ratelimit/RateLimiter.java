package io.fedtune.gateway.ratelimit;

import java.time.Duration;
import reactor.core.publisher.Mono;

/**
 * Counts requests per client against a token bucket: {@code requestsPerSecond} tokens flow in per second, at most
 * {@code burst} are kept, and each request takes one.
 */
public interface RateLimiter {

    /** Takes one token from {@code key}'s bucket, if there is one. */
    Mono<Decision> tryAcquire(String key, Limit limit);

    /**
     * A client's allowance.
     *
     * @param requestsPerSecond tokens added per second
     * @param burst the bucket's size
     */
    record Limit(int requestsPerSecond, int burst) {

        public Limit {
            if (requestsPerSecond <= 0 || burst < requestsPerSecond) {
                throw new IllegalArgumentException(
                        "A rate limit needs requestsPerSecond > 0 and burst >= requestsPerSecond, got "
                                + requestsPerSecond + "/" + burst);
            }
        }
    }

    /**
     * The answer for one request.
     *
     * @param allowed whether the request may pass
     * @param remaining whole tokens left after it
     * @param retryAfter when refused, how long until a token is available
     */
    record Decision(boolean allowed, long remaining, Duration retryAfter) {

        static Decision allow(long remaining) {
            return new Decision(true, remaining, Duration.ZERO);
        }

        static Decision refuse(Duration retryAfter) {
            return new Decision(false, 0, retryAfter);
        }
    }
}
