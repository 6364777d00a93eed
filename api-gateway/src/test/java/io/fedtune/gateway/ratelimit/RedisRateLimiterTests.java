package io.fedtune.gateway.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Against a real Redis: {@code FEDTUNE_TEST_REDIS_URL}, default {@code redis://127.0.0.1:6379}. Without one the
 * shared-bucket tests fail saying so.
 */
class RedisRateLimiterTests {

    static final String REDIS_URL = System.getenv().getOrDefault("FEDTUNE_TEST_REDIS_URL", "redis://127.0.0.1:6379");

    private final String prefix = "fedtune-test:" + UUID.randomUUID() + ":";
    private RedisRateLimiter replicaA;
    private RedisRateLimiter replicaB;

    @BeforeEach
    void twoGatewayReplicasShareOneRedis() {
        replicaA = new RedisRateLimiter(REDIS_URL, prefix, Duration.ofSeconds(2), new InMemoryRateLimiter(100));
        replicaB = new RedisRateLimiter(REDIS_URL, prefix, Duration.ofSeconds(2), new InMemoryRateLimiter(100));
    }

    @AfterEach
    void close() {
        replicaA.close();
        replicaB.close();
    }

    @Test
    void replicasShareOneBucketPerClient() {
        RateLimiter.Limit limit = new RateLimiter.Limit(1, 5);
        assertRedisAnswers();
        int allowed = 0;
        for (int i = 0; i < 10; i++) {
            RateLimiter limiter = i % 2 == 0 ? replicaA : replicaB;
            if (limiter.tryAcquire("sub:shared", limit).block().allowed()) {
                allowed++;
            }
        }
        // Five tokens in the bucket, perhaps one more refilled while the ten calls ran: never ten.
        assertThat(allowed).isBetween(5, 6);
        RateLimiter.Decision refused = replicaB.tryAcquire("sub:shared", limit).block();
        assertThat(refused.allowed()).isFalse();
        assertThat(refused.retryAfter()).isPositive().isLessThanOrEqualTo(Duration.ofSeconds(1));
        assertThat(replicaA.tryAcquire("sub:someone-else", limit).block().allowed())
                .isTrue();
    }

    @Test
    void whenRedisIsUnreachableEachReplicaStillLimitsInMemory() {
        try (RedisRateLimiter cutOff = new RedisRateLimiter(
                "redis://127.0.0.1:1", prefix, Duration.ofMillis(100), new InMemoryRateLimiter(100))) {
            RateLimiter.Limit limit = new RateLimiter.Limit(1, 2);
            // The first call pays for starting the Redis client and finding it unreachable, which on a loaded
            // machine can take longer than the one second that refills a token: warm up on another caller.
            cutOff.tryAcquire("sub:warm-up", limit).block();
            assertThat(cutOff.tryAcquire("sub:a", limit).block().allowed()).isTrue();
            assertThat(cutOff.tryAcquire("sub:a", limit).block().allowed()).isTrue();
            assertThat(cutOff.tryAcquire("sub:a", limit).block().allowed()).isFalse();
        }
    }

    private void assertRedisAnswers() {
        // A decision from the fallback would look the same: make sure the bucket really lives in Redis.
        try (io.lettuce.core.RedisClient client = io.lettuce.core.RedisClient.create(REDIS_URL)) {
            var connection = client.connect();
            replicaA.tryAcquire("sub:probe", new RateLimiter.Limit(1, 5)).block();
            assertThat(connection.sync().hget(prefix + "sub:probe", "tokens"))
                    .as("bucket in Redis at " + REDIS_URL + " (set FEDTUNE_TEST_REDIS_URL)")
                    .isNotNull();
            connection.close();
        }
    }
}
