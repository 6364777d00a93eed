package io.fedtune.testsupport;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.postgresql.PostgreSQLContainer;

/**
 * Hands out fresh, empty PostgreSQL databases to tests, on a real server.
 *
 * <p>The server is chosen once per JVM: the one at {@code FEDTUNE_TEST_DATABASE_URL} when that is set; otherwise a
 * Testcontainers PostgreSQL when a Docker engine answers; otherwise the local server at
 * {@code jdbc:postgresql://127.0.0.1:5432/postgres} as user {@code postgres}. When none can be reached, {@link
 * #create()} fails with a message that says how to provide one: database tests never skip.
 */
public final class TestDatabases {

    /** Environment variable (or system property) naming the maintenance database of the test server. */
    public static final String URL_VARIABLE = "FEDTUNE_TEST_DATABASE_URL";

    public static final String USER_VARIABLE = "FEDTUNE_TEST_DATABASE_USER";
    public static final String PASSWORD_VARIABLE = "FEDTUNE_TEST_DATABASE_PASSWORD";
    /** Set to {@code false} to skip asking Docker and go straight to the local server. */
    public static final String DOCKER_VARIABLE = "FEDTUNE_TEST_DOCKER";

    static final String DEFAULT_URL = "jdbc:postgresql://127.0.0.1:5432/postgres";
    static final String DATABASE_PREFIX = "fedtune_t";
    private static final Duration STALE_AFTER = Duration.ofHours(6);
    private static final Logger log = LoggerFactory.getLogger(TestDatabases.class);

    private static Server server;

    private TestDatabases() {}

    /** Creates a new empty database; closing the handle drops it. */
    public static TestDatabase create() {
        Server current = server();
        String name = DATABASE_PREFIX + Instant.now().getEpochSecond() + "_"
                + Long.toUnsignedString(ThreadLocalRandom.current().nextLong(), 36);
        try (Connection connection = current.connect();
                Statement statement = connection.createStatement()) {
            statement.execute("CREATE DATABASE " + name);
        } catch (SQLException e) {
            throw new IllegalStateException("Could not create test database " + name + " on " + current.url, e);
        }
        return new TestDatabase(name, current.urlOf(name), current.user, current.password, () -> drop(current, name));
    }

    /** Describes the server that tests run against, for log lines and failure messages. */
    public static String describeServer() {
        Server current = server();
        return current.url + " (" + current.origin + ")";
    }

    private static synchronized Server server() {
        if (server == null) {
            server = locate();
            dropStaleDatabases(server);
        }
        return server;
    }

    private static Server locate() {
        String user = setting(USER_VARIABLE, "postgres");
        String password = setting(PASSWORD_VARIABLE, "");
        String configured = setting(URL_VARIABLE, null);
        if (configured != null) {
            return reachable(new Server(configured, user, password, URL_VARIABLE), null);
        }
        String dockerProblem = null;
        if (!"false".equalsIgnoreCase(setting(DOCKER_VARIABLE, "true"))) {
            try {
                if (dockerMightAnswer() && DockerClientFactory.instance().isDockerAvailable()) {
                    return startContainer();
                }
                dockerProblem = "no Docker engine answered";
            } catch (RuntimeException e) {
                dockerProblem = "Docker failed: " + e.getMessage();
            }
        } else {
            dockerProblem = DOCKER_VARIABLE + "=false";
        }
        return reachable(new Server(DEFAULT_URL, user, password, "local server"), dockerProblem);
    }

    /** Saves Testcontainers' slow, noisy probe on machines with a Docker client but no engine. */
    private static boolean dockerMightAnswer() {
        return System.getenv("DOCKER_HOST") != null
                || java.nio.file.Files.exists(java.nio.file.Path.of("/var/run/docker.sock"))
                || java.nio.file.Files.exists(
                        java.nio.file.Path.of(System.getProperty("user.home"), ".docker", "run", "docker.sock"))
                || java.nio.file.Files.exists(
                        java.nio.file.Path.of(System.getProperty("user.home"), ".testcontainers.properties"));
    }

    @SuppressWarnings("resource") // lives as long as the JVM; Testcontainers' reaper removes it
    private static Server startContainer() {
        PostgreSQLContainer container = new PostgreSQLContainer("postgres:17-alpine");
        container.start();
        log.info("Tests use a Testcontainers PostgreSQL at {}", container.getJdbcUrl());
        return new Server(container.getJdbcUrl(), container.getUsername(), container.getPassword(), "Testcontainers");
    }

    private static Server reachable(Server candidate, String dockerProblem) {
        try (Connection ignored = candidate.connect()) {
            log.info("Tests use PostgreSQL at {} ({})", candidate.url, candidate.origin);
            return candidate;
        } catch (SQLException e) {
            throw new IllegalStateException(
                    "No PostgreSQL for the database tests. Tried "
                            + (dockerProblem == null ? "" : "Docker (" + dockerProblem + "), then ")
                            + candidate.url + " as user " + candidate.user + ": " + e.getMessage()
                            + ". Provide one of: a running local server (Debian: pg_ctlcluster 15 main start),"
                            + " " + URL_VARIABLE + " (with " + USER_VARIABLE + " and " + PASSWORD_VARIABLE
                            + ") pointing at a server where that user may CREATE DATABASE,"
                            + " or a Docker engine for Testcontainers.",
                    e);
        }
    }

    private static void drop(Server server, String name) {
        try (Connection connection = server.connect();
                Statement statement = connection.createStatement()) {
            statement.execute("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
        } catch (SQLException e) {
            log.warn("Could not drop test database {}: {}", name, e.getMessage());
        }
    }

    /** Drops databases left behind by test JVMs that were killed before they could clean up. */
    private static void dropStaleDatabases(Server server) {
        long cutoff = Instant.now().minus(STALE_AFTER).getEpochSecond();
        List<String> stale = new ArrayList<>();
        try (Connection connection = server.connect();
                Statement statement = connection.createStatement();
                ResultSet rows = statement.executeQuery(
                        "SELECT datname FROM pg_database WHERE datname LIKE '" + DATABASE_PREFIX + "%'")) {
            while (rows.next()) {
                String name = rows.getString(1);
                if (createdAt(name) < cutoff) {
                    stale.add(name);
                }
            }
        } catch (SQLException e) {
            log.warn("Could not list stale test databases: {}", e.getMessage());
            return;
        }
        stale.forEach(name -> drop(server, name));
    }

    static long createdAt(String databaseName) {
        String rest = databaseName.substring(DATABASE_PREFIX.length());
        int separator = rest.indexOf('_');
        try {
            return Long.parseLong(separator < 0 ? rest : rest.substring(0, separator));
        } catch (NumberFormatException e) {
            return Long.MAX_VALUE; // not ours to judge
        }
    }

    private static String setting(String name, String fallback) {
        String value = System.getProperty(name);
        if (value == null || value.isBlank()) {
            value = System.getenv(name);
        }
        return value == null || value.isBlank() ? fallback : value;
    }

    private record Server(String url, String user, String password, String origin) {

        Connection connect() throws SQLException {
            DriverManager.setLoginTimeout(10);
            return DriverManager.getConnection(url, user, password);
        }

        /** The URL of another database on the same server, keeping any query parameters. */
        String urlOf(String database) {
            int query = url.indexOf('?');
            String base = query < 0 ? url : url.substring(0, query);
            String params = query < 0 ? "" : url.substring(query);
            int slash = base.lastIndexOf('/');
            return base.substring(0, slash + 1) + database + params;
        }
    }
}
