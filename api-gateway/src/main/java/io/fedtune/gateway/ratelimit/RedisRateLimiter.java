package io.fedtune.gateway.ratelimit;

import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.StringCodec;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;

/**
 * Token buckets in Redis, shared by every gateway replica, so a client's allowance holds however many replicas run.
 * One Lua script reads, refills and takes atomically, on the Redis server's clock. When Redis does not answer in
 * time the gateway keeps limiting with its in-memory buckets rather than letting everything through or refusing
 * everything.
 */
public final class RedisRateLimiter implements RateLimiter, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(RedisRateLimiter.class);
    private static final Duration WARN_EVERY = Duration.ofMinutes(1);

    /** KEYS[1]: the bucket; ARGV: tokens per second, burst. Returns {allowed, whole tokens left, wait in µs}. */
    static final String SCRIPT = """
            local rate = tonumber(ARGV[1])
            local burst = tonumber(ARGV[2])
            local clock = redis.call('TIME')
            local now = tonumber(clock[1]) * 1000000 + tonumber(clock[2])
            local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
            local tokens = tonumber(state[1])
            local at = tonumber(state[2])
            if tokens == nil or at == nil then
              tokens = burst
              at = now
            end
            tokens = math.min(burst, tokens + math.max(0, now - at) * rate / 1000000)
            local allowed = 0
            local wait = 0
            if tokens >= 1 then
              tokens = tokens - 1
              allowed = 1
            else
              wait = math.ceil((1 - tokens) * 1000000 / rate)
            end
            redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
            redis.call('PEXPIRE', KEYS[1], math.ceil(burst * 1000 / rate) + 1000)
            return {allowed, math.floor(tokens), wait}
            """;

    private static final String SCRIPT_SHA = sha1(SCRIPT);

    private final RedisClient client;
    private final String keyPrefix;
    private final Duration timeout;
    private final InMemoryRateLimiter fallback;
    private final AtomicLong lastWarning = new AtomicLong();
    private final Mono<StatefulRedisConnection<String, String>> connection;

    /**
     * @param redisUrl the Redis to share, {@code redis://[:password@]host:port[/db]} or {@code rediss://} for TLS
     * @param keyPrefix prepended to every bucket's key
     * @param timeout how long one decision may wait for Redis before the fallback decides
     * @param fallback decides while Redis is unreachable
     */
    public RedisRateLimiter(String redisUrl, String keyPrefix, Duration timeout, InMemoryRateLimiter fallback) {
        RedisURI uri = RedisURI.create(redisUrl);
        uri.setTimeout(timeout);
        this.client = RedisClient.create(uri);
        this.keyPrefix = keyPrefix;
        this.timeout = timeout;
        this.fallback = fallback;
        // Connects on first use, and again after a failed attempt; Lettuce reconnects an established connection.
        this.connection = Mono.defer(() -> Mono.fromCompletionStage(client.connectAsync(StringCodec.UTF8, uri)))
                .cacheInvalidateIf(open -> !open.isOpen());
    }

    @Override
    public Mono<Decision> tryAcquire(String key, Limit limit) {
        String bucket = keyPrefix + key;
        String[] keys = {bucket};
        String rate = Integer.toString(limit.requestsPerSecond());
        String burst = Integer.toString(limit.burst());
        return connection
                .flatMap(open -> open.reactive()
                        .<List<Object>>evalsha(SCRIPT_SHA, ScriptOutputType.MULTI, keys, rate, burst)
                        .onErrorResume(
                                RedisNoScriptException.class,
                                missing -> open.reactive().eval(SCRIPT, ScriptOutputType.MULTI, keys, rate, burst))
                        .next())
                .map(RedisRateLimiter::decision)
                .timeout(timeout)
                .onErrorResume(error -> {
                    warn(error);
                    return Mono.just(fallback.acquire(key, limit));
                });
    }

    private static Decision decision(List<Object> reply) {
        long allowed = (Long) reply.get(0);
        long remaining = (Long) reply.get(1);
        long waitMicros = (Long) reply.get(2);
        return allowed == 1 ? Decision.allow(remaining) : Decision.refuse(Duration.ofNanos(waitMicros * 1000));
    }

    private void warn(Throwable error) {
        long now = System.nanoTime();
        long last = lastWarning.get();
        if ((last == 0 || now - last > WARN_EVERY.toNanos()) && lastWarning.compareAndSet(last, now)) {
            log.warn(
                    "Redis did not answer for rate limiting ({}); limiting in this replica's memory meanwhile",
                    error.toString());
        }
    }

    @Override
    public void close() {
        client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
    }

    private static String sha1(String script) {
        try {
            return HexFormat.of()
                    .formatHex(MessageDigest.getInstance("SHA-1").digest(script.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
