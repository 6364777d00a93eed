package io.fedtune.registry.retention;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Component;

/** Runs retention in the background every {@code fedtune.registry.retention.interval}. */
@Component
@ConditionalOnBooleanProperty(name = "fedtune.registry.retention.enabled", matchIfMissing = true)
class RetentionScheduler {

    private static final Logger log = LoggerFactory.getLogger(RetentionScheduler.class);

    private final RetentionService retention;

    RetentionScheduler(RetentionService retention) {
        this.retention = retention;
    }

    @Scheduled(
            fixedDelayString = "${fedtune.registry.retention.interval:PT10M}",
            initialDelayString = "${fedtune.registry.retention.initial-delay:PT1M}")
    void runInBackground() {
        try {
            retention.run(RetentionService.SYSTEM);
        } catch (RuntimeException e) {
            log.warn("Retention pass failed; the next one retries: {}", e.getMessage(), e);
        }
    }
}
