package io.fedtune.boot.correlation;

import java.util.Map;
import org.springframework.boot.EnvironmentPostProcessor;
import org.springframework.boot.SpringApplication;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.MapPropertySource;

/**
 * Adds the correlation id to every service's log lines ({@code [<id>] } after the thread name, nothing outside a
 * request), unless {@code logging.pattern.correlation} is configured. Runs before logging starts, which a
 * {@code @PropertySource} default would not.
 */
public final class CorrelationLogPattern implements EnvironmentPostProcessor {

    static final String PROPERTY = "logging.pattern.correlation";
    static final String PATTERN = "%replace([%X{" + CorrelationIds.MDC_KEY + "}] ){'^\\[\\] $',''}";

    @Override
    public void postProcessEnvironment(ConfigurableEnvironment environment, SpringApplication application) {
        if (!environment.containsProperty(PROPERTY)) {
            environment
                    .getPropertySources()
                    .addLast(new MapPropertySource("fedtuneLogging", Map.of(PROPERTY, PATTERN)));
        }
    }
}
