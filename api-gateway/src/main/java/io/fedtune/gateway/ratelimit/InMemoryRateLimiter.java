package io.fedtune.gateway.ratelimit;

import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import reactor.core.publisher.Mono;

/**
 * Token buckets in this JVM's memory: exact for one gateway replica, per replica when there are several. Buckets
 * of clients that have been quiet long enough to be full again are forgotten when the map grows past its bound,
 * which loses nothing.
 */
public final class InMemoryRateLimiter implements RateLimiter {

    private final ConcurrentHashMap<String, Bucket> buckets = new ConcurrentHashMap<>();
    private final int maxTrackedClients;
    private final LongSupplier nanoTime;

    public InMemoryRateLimiter(int maxTrackedClients) {
        this(maxTrackedClients, System::nanoTime);
    }

    InMemoryRateLimiter(int maxTrackedClients, LongSupplier nanoTime) {
        this.maxTrackedClients = maxTrackedClients;
        this.nanoTime = nanoTime;
    }

    @Override
    public Mono<Decision> tryAcquire(String key, Limit limit) {
        return Mono.just(acquire(key, limit));
    }

    /** The same decision, synchronously: also the fallback when a shared limiter cannot answer. */
    Decision acquire(String key, Limit limit) {
        long now = nanoTime.getAsLong();
        if (buckets.size() >= maxTrackedClients && !buckets.containsKey(key)) {
            forgetFullBuckets(now);
        }
        return buckets.computeIfAbsent(key, k -> new Bucket(limit.burst(), now)).take(limit, now);
    }

    int trackedClients() {
        return buckets.size();
    }

    private void forgetFullBuckets(long now) {
        buckets.values().removeIf(bucket -> bucket.isFullAt(now));
        if (buckets.size() >= maxTrackedClients) {
            // Every tracked client is active: start over rather than grow without bound.
            buckets.clear();
        }
    }

    private static final class Bucket {

        private double tokens;
        private long updatedAt;
        private Limit lastLimit;

        Bucket(double tokens, long now) {
            this.tokens = tokens;
            this.updatedAt = now;
        }

        synchronized Decision take(Limit limit, long now) {
            lastLimit = limit;
            refill(limit, now);
            if (tokens >= 1) {
                tokens -= 1;
                return Decision.allow((long) tokens);
            }
            double missing = 1 - tokens;
            long waitNanos = (long) Math.ceil(missing * TimeUnit.SECONDS.toNanos(1) / limit.requestsPerSecond());
            return Decision.refuse(Duration.ofNanos(waitNanos));
        }

        synchronized boolean isFullAt(long now) {
            if (lastLimit == null) {
                return true;
            }
            double elapsedSeconds = (now - updatedAt) / 1e9;
            return tokens + elapsedSeconds * lastLimit.requestsPerSecond() >= lastLimit.burst();
        }

        private void refill(Limit limit, long now) {
            double elapsedSeconds = Math.max(0, now - updatedAt) / 1e9;
            tokens = Math.min(limit.burst(), tokens + elapsedSeconds * limit.requestsPerSecond());
            updatedAt = now;
        }
    }
}
