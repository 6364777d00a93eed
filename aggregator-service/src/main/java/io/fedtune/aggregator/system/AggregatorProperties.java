package io.fedtune.aggregator.system;

import java.nio.file.Path;
import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * The aggregator's settings, under {@code fedtune.aggregator}.
 *
 * @param tickInterval how often each replica advances the rounds of running federations
 * @param livenessWindow a client seen within this window counts as live for sampling
 * @param aggregationLease how long a claimed aggregation may run before another replica may take it over
 * @param maxUploadBytes the largest update body accepted when the federation sets no smaller limit
 * @param longPollMax the longest a task poll waits
 * @param longPollCheckInterval how often waiting polls look for new assignments in the database
 * @param heartbeatInterval how often agents are asked to beat
 * @param aggregationThreads workers of one aggregation (0: one per core)
 * @param orphanAge blobs of uploads that never reached the database are deleted after this age
 * @param updateRetention the bytes of accepted updates are deleted this long after their round ended (their rows, with
 *     example counts, norms and metrics, stay); zero keeps them for ever
 * @param blobs where updates and adapters are stored
 * @param scheduling whether this replica ticks the rounds by itself (tests drive ticks by hand)
 */
@ConfigurationProperties("fedtune.aggregator")
public record AggregatorProperties(
        Duration tickInterval,
        Duration livenessWindow,
        Duration aggregationLease,
        long maxUploadBytes,
        Duration longPollMax,
        Duration longPollCheckInterval,
        Duration heartbeatInterval,
        int aggregationThreads,
        Duration orphanAge,
        Duration updateRetention,
        Blobs blobs,
        Boolean scheduling) {

    public AggregatorProperties {
        tickInterval = tickInterval == null ? Duration.ofSeconds(1) : tickInterval;
        livenessWindow = livenessWindow == null ? Duration.ofMinutes(2) : livenessWindow;
        aggregationLease = aggregationLease == null ? Duration.ofMinutes(15) : aggregationLease;
        maxUploadBytes = maxUploadBytes <= 0 ? 2L << 30 : maxUploadBytes;
        longPollMax = longPollMax == null ? Duration.ofSeconds(30) : longPollMax;
        longPollCheckInterval = longPollCheckInterval == null ? Duration.ofMillis(250) : longPollCheckInterval;
        heartbeatInterval = heartbeatInterval == null ? Duration.ofSeconds(30) : heartbeatInterval;
        aggregationThreads = aggregationThreads <= 0 ? Runtime.getRuntime().availableProcessors() : aggregationThreads;
        orphanAge = orphanAge == null ? Duration.ofHours(1) : orphanAge;
        updateRetention = updateRetention == null ? Duration.ofDays(7) : updateRetention;
        if (updateRetention.isNegative()) {
            throw new IllegalArgumentException(
                    "fedtune.aggregator.update-retention must be zero (keep for ever) or positive, got "
                            + updateRetention);
        }
        blobs = blobs == null ? new Blobs(null, null, null, null, null, null, null, false) : blobs;
        scheduling = scheduling == null ? Boolean.TRUE : scheduling;
    }

    /** Whether the scheduled tick runs. */
    public boolean schedulingEnabled() {
        return scheduling;
    }

    /**
     * Blob storage.
     *
     * @param type {@code filesystem} (default) or {@code s3}
     * @param path the filesystem store's directory (default {@code ${fedtune.home}/aggregator/blobs})
     * @param s3Endpoint the S3-compatible endpoint (empty for AWS)
     * @param s3Region the region
     * @param s3Bucket the bucket
     * @param s3AccessKey the access key (empty: the SDK's default credential chain)
     * @param s3SecretKey the secret key
     * @param s3PathStyle path-style addressing (MinIO and most on-premises servers)
     */
    public record Blobs(
            String type,
            Path path,
            String s3Endpoint,
            String s3Region,
            String s3Bucket,
            String s3AccessKey,
            String s3SecretKey,
            boolean s3PathStyle) {

        public Blobs {
            type = type == null || type.isBlank() ? "filesystem" : type;
        }
    }
}
