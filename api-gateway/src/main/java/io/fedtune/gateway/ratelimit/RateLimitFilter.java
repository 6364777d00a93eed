package io.fedtune.gateway.ratelimit;

import io.fedtune.gateway.observability.ClientKey;
import io.fedtune.gateway.system.GatewayException;
import org.springframework.cloud.gateway.filter.GatewayFilterChain;
import org.springframework.cloud.gateway.filter.GlobalFilter;
import org.springframework.core.Ordered;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;

/**
 * Applies the rate limit to every routed request, keyed by the caller ({@link ClientKey}): its override from the
 * database when it has one, the default otherwise. Refused requests get 429 with {@code Retry-After}; passed ones
 * carry {@code X-RateLimit-Remaining}.
 */
final class RateLimitFilter implements GlobalFilter, Ordered {

    static final String REMAINING_HEADER = "X-RateLimit-Remaining";

    private final RateLimiter limiter;
    private final RateLimitOverrides overrides;
    private final RateLimiter.Limit defaultLimit;

    RateLimitFilter(RateLimiter limiter, RateLimitOverrides overrides, RateLimiter.Limit defaultLimit) {
        this.limiter = limiter;
        this.overrides = overrides;
        this.defaultLimit = defaultLimit;
    }

    @Override
    public int getOrder() {
        return -200;
    }

    @Override
    public Mono<Void> filter(ServerWebExchange exchange, GatewayFilterChain chain) {
        return ClientKey.resolve(exchange).flatMap(client -> {
            RateLimiter.Limit override = overrides.forSubject(client.subject());
            RateLimiter.Limit limit = override != null ? override : defaultLimit;
            return limiter.tryAcquire(client.value(), limit).flatMap(decision -> {
                HttpHeaders headers = exchange.getResponse().getHeaders();
                if (!decision.allowed()) {
                    long seconds = Math.max(1, (decision.retryAfter().toMillis() + 999) / 1000);
                    headers.set(HttpHeaders.RETRY_AFTER, Long.toString(seconds));
                    headers.set(REMAINING_HEADER, "0");
                    return Mono.error(new GatewayException(
                            HttpStatus.TOO_MANY_REQUESTS,
                            "rate-limited",
                            "Too many requests from this client (" + limit.requestsPerSecond()
                                    + " per second, bursts of " + limit.burst() + "); retry after " + seconds
                                    + " s."));
                }
                headers.set(REMAINING_HEADER, Long.toString(decision.remaining()));
                return chain.filter(exchange);
            });
        });
    }
}
