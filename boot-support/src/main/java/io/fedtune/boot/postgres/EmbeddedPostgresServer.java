package io.fedtune.boot.postgres;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real PostgreSQL server run from the binaries on the classpath, for local runs with no database configured.
 * Its data directory is kept between runs, so a restarted platform finds what it stored before.
 */
public final class EmbeddedPostgresServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(EmbeddedPostgresServer.class);

    private final EmbeddedPostgres postgres;
    private final Path dataDirectory;

    private EmbeddedPostgresServer(EmbeddedPostgres postgres, Path dataDirectory) {
        this.postgres = postgres;
        this.dataDirectory = dataDirectory;
    }

    /**
     * Starts a server on the given data directory, creating the cluster when the directory is new.
     *
     * @param dataDirectory where the cluster lives; created if missing
     * @param port the TCP port on the loopback interface, or 0 for any free port
     */
    public static EmbeddedPostgresServer start(Path dataDirectory, int port) {
        Path directory = dataDirectory.toAbsolutePath().normalize();
        boolean existing = Files.exists(directory.resolve("postgresql.conf"));
        try {
            Files.createDirectories(directory);
            EmbeddedPostgres.Builder builder = EmbeddedPostgres.builder()
                    .setDataDirectory(directory)
                    .setCleanDataDirectory(false)
                    .setServerConfig("listen_addresses", "127.0.0.1")
                    // the library's default is off; an accepted update must survive a crash of the machine too
                    .setServerConfig("synchronous_commit", "on");
            if (port > 0) {
                builder.setPort(port);
            }
            EmbeddedPostgres postgres = builder.start();
            log.info(
                    "Embedded PostgreSQL listening on 127.0.0.1:{}; data {} in {}",
                    postgres.getPort(),
                    existing ? "reused" : "created",
                    directory);
            return new EmbeddedPostgresServer(postgres, directory);
        } catch (IOException e) {
            throw new UncheckedIOException(
                    "Could not start embedded PostgreSQL in " + directory
                            + " (if an earlier run was killed, its server may still hold the directory: "
                            + "look for a 'postgres -D " + directory + "' process)",
                    e);
        }
    }

    /** The JDBC URL of the {@code postgres} database as superuser {@code postgres}. */
    public String jdbcUrl() {
        return "jdbc:postgresql://127.0.0.1:" + postgres.getPort() + "/postgres";
    }

    public String username() {
        return "postgres";
    }

    public int port() {
        return postgres.getPort();
    }

    public Path dataDirectory() {
        return dataDirectory;
    }

    /** Stops the server; the data directory stays. */
    @Override
    public void close() {
        try {
            postgres.close();
            log.info("Embedded PostgreSQL stopped; data kept in {}", dataDirectory);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
