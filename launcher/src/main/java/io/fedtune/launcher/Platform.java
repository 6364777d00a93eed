package io.fedtune.launcher;

import io.fedtune.aggregator.AggregatorApplication;
import io.fedtune.boot.postgres.EmbeddedPostgresServer;
import io.fedtune.gateway.GatewayApplication;
import io.fedtune.registry.RegistryApplication;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The whole platform in one JVM: an embedded PostgreSQL (unless a database is given), the model registry, the
 * aggregator and the gateway, each its own Spring application with its own schema. Closing it stops everything
 * in reverse order; the data stays in the home directory for the next start.
 */
public final class Platform implements AutoCloseable {

    /** The servlet services share the gateway's classpath here; Spring Cloud Gateway stays off in them. */
    private static final String SERVLET_ONLY = "--spring.cloud.gateway.server.webflux.enabled=false";

    private final EmbeddedPostgresServer postgres;
    private final List<ConfigurableApplicationContext> services = new ArrayList<>();
    private String registryUrl;
    private String aggregatorUrl;
    private String gatewayUrl;

    private Platform(EmbeddedPostgresServer postgres) {
        this.postgres = postgres;
    }

    /**
     * Starts the platform.
     *
     * @param options where its data lives, which ports, which database
     * @param extraArgs further Spring arguments ({@code --name=value}) given to every service
     */
    public static Platform start(Options options, String... extraArgs) {
        EmbeddedPostgresServer postgres = options.databaseUrl() == null
                ? EmbeddedPostgresServer.start(options.home().resolve("postgres"), options.postgresPort())
                : null;
        Platform platform = new Platform(postgres);
        try {
            // Every service must know the token issuer (the aggregator) before the aggregator's port is known.
            int aggregatorPort = options.aggregatorPort() == 0 ? freePort() : options.aggregatorPort();
            List<String> common = new ArrayList<>(List.of(
                    "--spring.datasource.url=" + (postgres == null ? options.databaseUrl() : postgres.jdbcUrl()),
                    "--spring.datasource.username=" + (postgres == null ? options.databaseUser() : postgres.username()),
                    "--spring.datasource.password=" + (postgres == null ? options.databasePassword() : ""),
                    "--fedtune.home=" + options.home(),
                    "--spring.main.banner-mode=off"));
            if (Arrays.stream(extraArgs).noneMatch(arg -> arg.startsWith("--fedtune.security.issuer-uri="))) {
                common.add("--fedtune.security.issuer-uri=http://localhost:" + aggregatorPort);
            }
            common.addAll(List.of(extraArgs));

            ConfigurableApplicationContext registry = platform.run(
                    RegistryApplication.builder(), common, SERVLET_ONLY, "--server.port=" + options.registryPort());
            platform.registryUrl = urlOf(registry);
            ConfigurableApplicationContext aggregator = platform.run(
                    AggregatorApplication.builder(),
                    common,
                    SERVLET_ONLY,
                    "--server.port=" + aggregatorPort,
                    "--fedtune.registry-url=" + platform.registryUrl);
            platform.aggregatorUrl = urlOf(aggregator);
            ConfigurableApplicationContext gateway = platform.run(
                    GatewayApplication.builder(),
                    common,
                    "--server.port=" + options.gatewayPort(),
                    "--fedtune.gateway.aggregator-uri=" + platform.aggregatorUrl,
                    "--fedtune.gateway.registry-uri=" + platform.registryUrl);
            platform.gatewayUrl = urlOf(gateway);
            return platform;
        } catch (RuntimeException e) {
            platform.close();
            throw e;
        }
    }

    private ConfigurableApplicationContext run(SpringApplicationBuilder builder, List<String> common, String... own) {
        List<String> args = new ArrayList<>(common);
        args.addAll(List.of(own));
        ConfigurableApplicationContext context =
                builder.registerShutdownHook(false).run(args.toArray(String[]::new));
        services.add(context);
        return context;
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("No free port for the aggregator", e);
        }
    }

    private static String urlOf(ConfigurableApplicationContext context) {
        return "http://localhost:" + context.getEnvironment().getProperty("local.server.port");
    }

    public String gatewayUrl() {
        return gatewayUrl;
    }

    public String aggregatorUrl() {
        return aggregatorUrl;
    }

    public String registryUrl() {
        return registryUrl;
    }

    /** The embedded database's data directory, or null when an external database is used. */
    public Path postgresDataDirectory() {
        return postgres == null ? null : postgres.dataDirectory();
    }

    /** Stops the services, newest first, then the embedded database. */
    @Override
    public synchronized void close() {
        for (int i = services.size() - 1; i >= 0; i--) {
            services.get(i).close();
        }
        services.clear();
        if (postgres != null) {
            postgres.close();
        }
    }

    /**
     * How to start the platform.
     *
     * @param home where the platform keeps its data (database, blobs)
     * @param gatewayPort the gateway's port (0 for any free port)
     * @param aggregatorPort the aggregator's port (0 for any)
     * @param registryPort the registry's port (0 for any)
     * @param postgresPort the embedded PostgreSQL's port (0 for any)
     * @param databaseUrl an external PostgreSQL to use instead of the embedded one, or null
     * @param databaseUser the external database's user
     * @param databasePassword the external database's password
     */
    public record Options(
            Path home,
            int gatewayPort,
            int aggregatorPort,
            int registryPort,
            int postgresPort,
            String databaseUrl,
            String databaseUser,
            String databasePassword) {

        /** Every port chosen freely, on the embedded database in {@code home}: for tests and demos. */
        public static Options ephemeral(Path home) {
            return new Options(home, 0, 0, 0, 0, null, null, null);
        }
    }
}
