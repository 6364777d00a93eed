package io.fedtune.registry.retention;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * What retention keeps and how often it runs.
 *
 * @param enabled whether it runs in the background (default true); {@code POST /api/v1/adapters/retention} runs it
 *     on demand either way
 * @param keepLast how many of the newest versions of each federation keep their content (default 10)
 * @param keepTagged whether tagged versions keep their content regardless of age (default true)
 * @param interval the pause between background passes (default 10 minutes)
 * @param initialDelay the pause before the first background pass (default 1 minute)
 * @param orphanGrace how old a blob that no row references must be before it is removed as an orphan (default 1
 *     hour): younger ones may belong to an upload whose row is being committed
 */
@ConfigurationProperties("fedtune.registry.retention")
public record RetentionProperties(
        Boolean enabled,
        Integer keepLast,
        Boolean keepTagged,
        Duration interval,
        Duration initialDelay,
        Duration orphanGrace) {

    public RetentionProperties {
        enabled = enabled == null || enabled;
        keepLast = keepLast == null ? 10 : keepLast;
        keepTagged = keepTagged == null || keepTagged;
        interval = interval == null ? Duration.ofMinutes(10) : interval;
        initialDelay = initialDelay == null ? Duration.ofMinutes(1) : initialDelay;
        orphanGrace = orphanGrace == null ? Duration.ofHours(1) : orphanGrace;
        if (keepLast < 1) {
            throw new IllegalArgumentException("fedtune.registry.retention.keep-last must be at least 1: " + keepLast);
        }
    }
}
