package io.fedtune.boot.postgres;

import java.nio.file.Path;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Settings of the embedded PostgreSQL that a service starts when no {@code spring.datasource.url} is configured.
 *
 * @param enabled whether to start one at all when no datasource is configured
 * @param dataDirectory where the cluster's files live; defaults to {@code ~/.fedtune/<application name>/postgres}
 * @param port the loopback port, or 0 for any free port
 */
@ConfigurationProperties("fedtune.embedded-postgres")
public record EmbeddedPostgresProperties(Boolean enabled, Path dataDirectory, Integer port) {

    public EmbeddedPostgresProperties {
        enabled = enabled == null || enabled;
        port = port == null ? 0 : port;
    }
}
