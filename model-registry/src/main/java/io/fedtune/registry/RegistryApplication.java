package io.fedtune.registry;

import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.annotation.PropertySource;

/**
 * The model registry: base models and every adapter version a federation produced, with lineage and blobs.
 *
 * <p>Its defaults live in {@code io/fedtune/registry/defaults.properties} rather than {@code application.yml},
 * so it can share one JVM (and one classpath) with the other services in the launcher and in end-to-end tests.
 */
@SpringBootApplication
@PropertySource("classpath:io/fedtune/registry/defaults.properties")
public class RegistryApplication {

    /** A builder for this service, for mains and for launchers that run several services in one JVM. */
    public static SpringApplicationBuilder builder() {
        return new SpringApplicationBuilder(RegistryApplication.class).web(WebApplicationType.SERVLET);
    }

    public static void main(String[] args) {
        builder().run(args);
    }
}
