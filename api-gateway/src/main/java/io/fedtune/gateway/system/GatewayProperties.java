package io.fedtune.gateway.system;

import java.net.URI;
import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.util.unit.DataSize;

/**
 * How the gateway reaches the services and which limits it enforces; {@code fedtune.gateway.*}.
 *
 * @param aggregatorUri where the aggregator answers (federations, the agent API, audit, tokens)
 * @param registryUri where the model registry answers (models, adapters)
 * @param timeouts how long the gateway waits for a service before answering 504
 * @param limits the largest request bodies the gateway lets through
 * @param rateLimit requests per client and second
 */
@ConfigurationProperties("fedtune.gateway")
public record GatewayProperties(
        URI aggregatorUri, URI registryUri, Timeouts timeouts, Limits limits, RateLimit rateLimit) {

    public GatewayProperties {
        aggregatorUri = aggregatorUri == null ? URI.create("http://localhost:8081") : aggregatorUri;
        registryUri = registryUri == null ? URI.create("http://localhost:8082") : registryUri;
        timeouts = timeouts == null ? new Timeouts(null, null, null, null) : timeouts;
        limits = limits == null ? new Limits(null, null) : limits;
        rateLimit = rateLimit == null ? new RateLimit(true, 0, 0, null, null, null, null) : rateLimit;
    }

    /**
     * @param connect how long to wait for a connection to a service (default 5 s)
     * @param api how long a JSON request may take until the service's response headers arrive (default 60 s)
     * @param agent the same for the agent API, whose task poll waits on the server (default 2 min)
     * @param transfer the same for uploads, which include sending the whole body (default 30 min)
     */
    public record Timeouts(Duration connect, Duration api, Duration agent, Duration transfer) {

        public Timeouts {
            connect = connect == null ? Duration.ofSeconds(5) : connect;
            api = api == null ? Duration.ofSeconds(60) : api;
            agent = agent == null ? Duration.ofMinutes(2) : agent;
            transfer = transfer == null ? Duration.ofMinutes(30) : transfer;
        }
    }

    /**
     * @param json the largest body of an API request that is not an upload (default 1 MB)
     * @param upload the largest upload: an {@code application/octet-stream} or multipart body, such as a base model archive (default 64 GB)
     */
    public record Limits(DataSize json, DataSize upload) {

        public Limits {
            json = json == null ? DataSize.ofMegabytes(1) : json;
            upload = upload == null ? DataSize.ofGigabytes(64) : upload;
        }
    }

    /**
     * @param enabled whether the gateway limits request rates at all (default true)
     * @param requestsPerSecond how many requests a client may make per second, sustained (default 20)
     * @param burst how many it may make at once after a quiet spell (default 40)
     * @param redisUrl a Redis ({@code redis://host:6379}) shared by every gateway replica; unset means each
     *     replica counts in its own memory
     * @param redisTimeout how long to wait for Redis before counting in memory instead (default 250 ms)
     * @param overridesRefresh how often to reload per-client limits from {@code gateway.rate_limit_override}
     *     (default 30 s)
     * @param maxTrackedClients how many clients an in-memory limiter remembers at most (default 100 000)
     */
    public record RateLimit(
            Boolean enabled,
            int requestsPerSecond,
            int burst,
            URI redisUrl,
            Duration redisTimeout,
            Duration overridesRefresh,
            Integer maxTrackedClients) {

        public RateLimit {
            enabled = enabled == null || enabled;
            requestsPerSecond = requestsPerSecond <= 0 ? 20 : requestsPerSecond;
            burst = burst <= 0 ? Math.max(40, requestsPerSecond) : Math.max(burst, requestsPerSecond);
            redisTimeout = redisTimeout == null ? Duration.ofMillis(250) : redisTimeout;
            overridesRefresh = overridesRefresh == null ? Duration.ofSeconds(30) : overridesRefresh;
            maxTrackedClients = maxTrackedClients == null ? 100_000 : maxTrackedClients;
        }

        public boolean isEnabled() {
            return enabled;
        }
    }
}
