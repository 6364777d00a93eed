package io.fedtune.gateway.ratelimit;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * Per-client exceptions to the default rate limit, from {@code gateway.rate_limit_override}, reloaded in the
 * background so that requests never wait on the database. An operator changes a client's limit with one SQL
 * statement and every replica applies it within the refresh interval.
 */
public final class RateLimitOverrides implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(RateLimitOverrides.class);

    private final JdbcTemplate jdbc;
    private final ScheduledExecutorService refresher;
    private volatile Map<String, RateLimiter.Limit> bySubject = Map.of();

    public RateLimitOverrides(JdbcTemplate jdbc, Duration refreshEvery) {
        this.jdbc = jdbc;
        this.refresher = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "rate-limit-overrides");
            thread.setDaemon(true);
            return thread;
        });
        refresher.scheduleWithFixedDelay(this::refreshQuietly, 0, refreshEvery.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** The override for this JWT subject, or null when it has the default limit. */
    public RateLimiter.Limit forSubject(String subject) {
        return subject == null ? null : bySubject.get(subject);
    }

    /** Reloads the overrides now. */
    public void refresh() {
        Map<String, RateLimiter.Limit> loaded = new HashMap<>();
        jdbc.query("SELECT client_id, requests_per_second, burst FROM rate_limit_override", row -> {
            loaded.put(row.getString(1), new RateLimiter.Limit(row.getInt(2), row.getInt(3)));
        });
        bySubject = Map.copyOf(loaded);
    }

    private void refreshQuietly() {
        try {
            refresh();
        } catch (RuntimeException e) {
            log.warn(
                    "Could not reload rate-limit overrides; keeping the {} loaded before: {}",
                    bySubject.size(),
                    e.toString());
        }
    }

    @Override
    public void close() {
        refresher.shutdownNow();
    }
}
