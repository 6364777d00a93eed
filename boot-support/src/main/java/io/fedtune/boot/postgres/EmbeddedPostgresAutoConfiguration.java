package io.fedtune.boot.postgres;

import java.nio.file.Path;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionOutcome;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.SpringBootCondition;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.jdbc.autoconfigure.JdbcConnectionDetails;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.ConditionContext;
import org.springframework.context.annotation.Conditional;
import org.springframework.core.env.Environment;
import org.springframework.core.type.AnnotatedTypeMetadata;

/**
 * Starts an embedded PostgreSQL when a service has no datasource configured, and points the regular
 * DataSource auto-configuration (Hikari, Flyway) at it. A configured {@code spring.datasource.url} always wins.
 */
@AutoConfiguration(before = DataSourceAutoConfiguration.class)
@ConditionalOnClass(JdbcConnectionDetails.class)
@Conditional(EmbeddedPostgresAutoConfiguration.NoDatasourceConfigured.class)
@EnableConfigurationProperties(EmbeddedPostgresProperties.class)
public class EmbeddedPostgresAutoConfiguration {

    @Bean(destroyMethod = "close")
    EmbeddedPostgresServer embeddedPostgresServer(EmbeddedPostgresProperties properties, Environment environment) {
        Path dataDirectory = properties.dataDirectory();
        if (dataDirectory == null) {
            String application = environment.getProperty("spring.application.name", "fedtune");
            dataDirectory = Path.of(System.getProperty("user.home"), ".fedtune", application, "postgres");
        }
        return EmbeddedPostgresServer.start(dataDirectory, properties.port());
    }

    @Bean
    JdbcConnectionDetails embeddedPostgresConnectionDetails(EmbeddedPostgresServer server) {
        return new JdbcConnectionDetails() {
            @Override
            public String getUsername() {
                return server.username();
            }

            @Override
            public String getPassword() {
                return "";
            }

            @Override
            public String getJdbcUrl() {
                return server.jdbcUrl();
            }
        };
    }

    /** Matches when no datasource URL is set and the embedded server is not switched off. */
    static final class NoDatasourceConfigured extends SpringBootCondition {

        @Override
        public ConditionOutcome getMatchOutcome(ConditionContext context, AnnotatedTypeMetadata metadata) {
            Environment environment = context.getEnvironment();
            if (environment.containsProperty("spring.datasource.url")) {
                return ConditionOutcome.noMatch("spring.datasource.url is configured");
            }
            if ("false".equalsIgnoreCase(environment.getProperty("fedtune.embedded-postgres.enabled"))) {
                return ConditionOutcome.noMatch("fedtune.embedded-postgres.enabled is false");
            }
            return ConditionOutcome.match("no datasource configured: starting embedded PostgreSQL");
        }
    }
}
