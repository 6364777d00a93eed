package io.fedtune.gateway.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class InMemoryRateLimiterTests {

    private final AtomicLong clock = new AtomicLong(1_000_000_000L);
    private final RateLimiter.Limit twoPerSecondBurstFour = new RateLimiter.Limit(2, 4);

    @Test
    void aQuietClientMayBurstThenWaitsForTheNextToken() {
        InMemoryRateLimiter limiter = new InMemoryRateLimiter(100, clock::get);
        for (int i = 3; i >= 0; i--) {
            RateLimiter.Decision decision = limiter.acquire("sub:a", twoPerSecondBurstFour);
            assertThat(decision.allowed()).isTrue();
            assertThat(decision.remaining()).isEqualTo(i);
        }
        RateLimiter.Decision refused = limiter.acquire("sub:a", twoPerSecondBurstFour);
        assertThat(refused.allowed()).isFalse();
        assertThat(refused.retryAfter()).isEqualTo(Duration.ofMillis(500));

        clock.addAndGet(Duration.ofMillis(500).toNanos());
        assertThat(limiter.acquire("sub:a", twoPerSecondBurstFour).allowed()).isTrue();
        assertThat(limiter.acquire("sub:a", twoPerSecondBurstFour).allowed()).isFalse();
    }

    @Test
    void tokensNeverPileUpBeyondTheBurst() {
        InMemoryRateLimiter limiter = new InMemoryRateLimiter(100, clock::get);
        limiter.acquire("sub:a", twoPerSecondBurstFour);
        clock.addAndGet(Duration.ofHours(1).toNanos());
        int allowed = 0;
        while (limiter.acquire("sub:a", twoPerSecondBurstFour).allowed()) {
            allowed++;
        }
        assertThat(allowed).isEqualTo(4);
    }

    @Test
    void clientsAreCountedApart() {
        InMemoryRateLimiter limiter = new InMemoryRateLimiter(100, clock::get);
        for (int i = 0; i < 4; i++) {
            limiter.acquire("sub:a", twoPerSecondBurstFour);
        }
        assertThat(limiter.acquire("sub:a", twoPerSecondBurstFour).allowed()).isFalse();
        assertThat(limiter.acquire("sub:b", twoPerSecondBurstFour).allowed()).isTrue();
    }

    @Test
    void memoryStaysBoundedByForgettingClientsWhoseBucketsAreFullAgain() {
        InMemoryRateLimiter limiter = new InMemoryRateLimiter(3, clock::get);
        limiter.acquire("ip:10.0.0.1", twoPerSecondBurstFour);
        limiter.acquire("ip:10.0.0.2", twoPerSecondBurstFour);
        limiter.acquire("ip:10.0.0.3", twoPerSecondBurstFour);
        clock.addAndGet(Duration.ofSeconds(10).toNanos());
        limiter.acquire("ip:10.0.0.4", twoPerSecondBurstFour);
        assertThat(limiter.trackedClients()).isEqualTo(1);

        for (int i = 5; i < 1000; i++) {
            limiter.acquire("ip:10.0.0." + i, twoPerSecondBurstFour);
        }
        assertThat(limiter.trackedClients()).isLessThanOrEqualTo(3);
    }
}
