package io.fedtune.aggregator;

import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.annotation.PropertySource;

/**
 * The aggregator service: federations, clients and rounds, with their state in PostgreSQL.
 *
 * <p>Its defaults live in {@code io/fedtune/aggregator/defaults.properties} rather than {@code application.yml},
 * so it can share one JVM (and one classpath) with the other services in the launcher and in end-to-end tests.
 */
@SpringBootApplication
@PropertySource("classpath:io/fedtune/aggregator/defaults.properties")
public class AggregatorApplication {

    /** A builder for this service, for mains and for launchers that run several services in one JVM. */
    public static SpringApplicationBuilder builder() {
        return new SpringApplicationBuilder(AggregatorApplication.class).web(WebApplicationType.SERVLET);
    }

    public static void main(String[] args) {
        builder().run(args);
    }
}
