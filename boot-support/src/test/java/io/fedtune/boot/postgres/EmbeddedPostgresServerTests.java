package io.fedtune.boot.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EmbeddedPostgresServerTests {

    @Test
    void aRunKilledWithSigkillLeavesNothingThatStopsTheNextStartAndKeepsItsData(@TempDir Path home) throws Exception {
        Path data = home.resolve("pg");
        Process killedRun = new ProcessBuilder(List.of(
                        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                        "-cp",
                        System.getProperty("java.class.path"),
                        KilledRunServer.class.getName(),
                        data.toString()))
                .redirectErrorStream(true)
                .start();
        int leftoverPort;
        try (BufferedReader out =
                new BufferedReader(new InputStreamReader(killedRun.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            do {
                line = out.readLine();
            } while (line != null && !line.startsWith("ready "));
            assertThat(line).as("the first run's server started").isNotNull();
            leftoverPort = Integer.parseInt(line.substring("ready ".length()));
            execute(leftoverPort, "CREATE TABLE kept (note text)", "INSERT INTO kept VALUES ('before the kill')");
            killedRun.destroyForcibly();
            assertThat(killedRun.waitFor(30, TimeUnit.SECONDS)).isTrue();
        }
        long leftoverPid = Long.parseLong(
                Files.readAllLines(data.resolve("postmaster.pid")).get(0).trim());
        assertThat(ProcessHandle.of(leftoverPid).map(ProcessHandle::isAlive))
                .as("the killed run's PostgreSQL outlives it")
                .contains(true);

        try (EmbeddedPostgresServer restarted = EmbeddedPostgresServer.start(data, 0)) {
            assertThat(ProcessHandle.of(leftoverPid).map(ProcessHandle::isAlive))
                    .isNotEqualTo(java.util.Optional.of(true));
            try (Connection connection = DriverManager.getConnection(restarted.jdbcUrl(), restarted.username(), "");
                    Statement statement = connection.createStatement();
                    ResultSet rows = statement.executeQuery("SELECT note FROM kept")) {
                assertThat(rows.next()).isTrue();
                assertThat(rows.getString(1)).isEqualTo("before the kill");
            }
        } finally {
            ProcessHandle.of(leftoverPid).ifPresent(ProcessHandle::destroy); // never leave a server behind
        }
    }

    @Test
    void aSecondStartOnTheDataDirectoryOfALiveRunLeavesThatRunsServerAlone(@TempDir Path home) throws Exception {
        Path data = home.resolve("pg");
        try (EmbeddedPostgresServer live = EmbeddedPostgresServer.start(data, 0)) {
            long pid = Long.parseLong(
                    Files.readAllLines(data.resolve("postmaster.pid")).get(0).trim());
            try (EmbeddedPostgresServer second = EmbeddedPostgresServer.start(data, 0)) {
                throw new AssertionError("a second server started on a directory in use: " + second.port());
            } catch (RuntimeException expected) {
                // the library refuses the directory; what matters is that the live run's server was not stopped
            }
            assertThat(ProcessHandle.of(pid).filter(ProcessHandle::isAlive)).isPresent();
            execute(live.port(), "SELECT 1");
        }
    }

    private static void execute(int port, String... sql) throws Exception {
        try (Connection connection = DriverManager.getConnection(
                        "jdbc:postgresql://127.0.0.1:" + port + "/postgres", "postgres", "");
                Statement statement = connection.createStatement()) {
            for (String each : sql) {
                statement.execute(each);
            }
        }
    }
}
