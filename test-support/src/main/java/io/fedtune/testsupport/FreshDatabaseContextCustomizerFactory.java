package io.fedtune.testsupport;

import java.util.List;
import org.springframework.context.ApplicationListener;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.event.ContextClosedEvent;
import org.springframework.core.env.PropertySource;
import org.springframework.test.context.ContextConfigurationAttributes;
import org.springframework.test.context.ContextCustomizer;
import org.springframework.test.context.ContextCustomizerFactory;
import org.springframework.test.context.MergedContextConfiguration;

/**
 * Gives every Spring test context its own fresh database, created the first time the context asks for {@code
 * spring.datasource.url} and dropped when the context closes. Registered in {@code META-INF/spring.factories}, so
 * a module gets it by having test-support on its test classpath.
 */
public final class FreshDatabaseContextCustomizerFactory implements ContextCustomizerFactory {

    @Override
    public ContextCustomizer createContextCustomizer(
            Class<?> testClass, List<ContextConfigurationAttributes> configAttributes) {
        return new FreshDatabaseCustomizer();
    }

    private static final class FreshDatabaseCustomizer implements ContextCustomizer {

        @Override
        public void customizeContext(ConfigurableApplicationContext context, MergedContextConfiguration config) {
            LazyDatabasePropertySource source = new LazyDatabasePropertySource();
            context.getEnvironment().getPropertySources().addFirst(source);
            context.addApplicationListener((ApplicationListener<ContextClosedEvent>) event -> {
                if (event.getApplicationContext() == context) {
                    source.close();
                }
            });
        }

        @Override
        public boolean equals(Object other) {
            return other instanceof FreshDatabaseCustomizer;
        }

        @Override
        public int hashCode() {
            return FreshDatabaseCustomizer.class.hashCode();
        }
    }

    /** Answers the datasource properties, creating the database only when one of them is first read. */
    private static final class LazyDatabasePropertySource extends PropertySource<Object> {

        private TestDatabase database;

        LazyDatabasePropertySource() {
            super("fedtuneFreshTestDatabase", new Object());
        }

        @Override
        public synchronized Object getProperty(String name) {
            return switch (name) {
                case "spring.datasource.url" -> database().jdbcUrl();
                case "spring.datasource.username" -> database().username();
                case "spring.datasource.password" -> database().password();
                default -> null;
            };
        }

        @Override
        public boolean containsProperty(String name) {
            return name.equals("spring.datasource.url")
                    || name.equals("spring.datasource.username")
                    || name.equals("spring.datasource.password");
        }

        private TestDatabase database() {
            if (database == null) {
                database = TestDatabases.create();
            }
            return database;
        }

        synchronized void close() {
            if (database != null) {
                database.close();
                database = null;
            }
        }
    }
}
