package io.fedtune.gateway.ratelimit;

import io.fedtune.gateway.system.GatewayProperties;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * Rate limiting: Redis-backed when {@code fedtune.gateway.rate-limit.redis-url} is set (replicas share each client's
 * allowance), in memory otherwise. {@code fedtune.gateway.rate-limit.enabled=false} switches it off.
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnBooleanProperty(name = "fedtune.gateway.rate-limit.enabled", matchIfMissing = true)
class RateLimitConfiguration {

    @Bean(destroyMethod = "close")
    RateLimitOverrides rateLimitOverrides(JdbcTemplate jdbc, GatewayProperties properties) {
        return new RateLimitOverrides(jdbc, properties.rateLimit().overridesRefresh());
    }

    @Bean
    RateLimiter rateLimiter(GatewayProperties properties) {
        GatewayProperties.RateLimit settings = properties.rateLimit();
        InMemoryRateLimiter memory = new InMemoryRateLimiter(settings.maxTrackedClients());
        if (settings.redisUrl() == null) {
            return memory;
        }
        return new RedisRateLimiter(
                settings.redisUrl().toString(), "fedtune:rate-limit:", settings.redisTimeout(), memory);
    }

    @Bean
    RateLimitFilter rateLimitFilter(RateLimiter limiter, RateLimitOverrides overrides, GatewayProperties properties) {
        GatewayProperties.RateLimit settings = properties.rateLimit();
        return new RateLimitFilter(
                limiter, overrides, new RateLimiter.Limit(settings.requestsPerSecond(), settings.burst()));
    }
}
