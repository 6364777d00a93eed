package io.fedtune.gateway;

import io.fedtune.gateway.system.GatewayProperties;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.PropertySource;

/**
 * The API gateway: the platform's single door, routing to the aggregator and the registry.
 *
 * <p>Reactive (Spring Cloud Gateway on Netty), so large uploads and downloads stream through it. Its defaults
 * live in {@code io/fedtune/gateway/defaults.properties} so that it can share a JVM with the servlet services.
 */
// The launcher runs the gateway beside servlet services on one classpath; the web type is set explicitly in
// builder(), so Spring Cloud Gateway's "Spring MVC found on the classpath" guard does not apply.
@SpringBootApplication(
        excludeName = "org.springframework.cloud.gateway.config.GatewayClassPathWarningAutoConfiguration")
@EnableConfigurationProperties(GatewayProperties.class)
@PropertySource("classpath:io/fedtune/gateway/defaults.properties")
public class GatewayApplication {

    /** A builder for this service, for mains and for launchers that run several services in one JVM. */
    public static SpringApplicationBuilder builder() {
        return new SpringApplicationBuilder(GatewayApplication.class).web(WebApplicationType.REACTIVE);
    }

    public static void main(String[] args) {
        builder().run(args);
    }
}
