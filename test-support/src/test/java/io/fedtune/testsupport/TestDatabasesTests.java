package io.fedtune.testsupport;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import org.junit.jupiter.api.Test;

class TestDatabasesTests {

    @Test
    void freshDatabaseIsEmptyUsableAndGoneAfterClose() throws Exception {
        String name;
        try (TestDatabase database = TestDatabases.create()) {
            name = database.name();
            try (Connection connection =
                            DriverManager.getConnection(database.jdbcUrl(), database.username(), database.password());
                    Statement statement = connection.createStatement()) {
                try (ResultSet tables = statement.executeQuery(
                        "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'")) {
                    tables.next();
                    assertThat(tables.getInt(1)).isZero();
                }
                statement.execute("CREATE TABLE probe (id int)");
                statement.execute("INSERT INTO probe VALUES (1)");
                try (ResultSet rows = statement.executeQuery("SELECT current_database(), count(*) FROM probe")) {
                    rows.next();
                    assertThat(rows.getString(1)).isEqualTo(name);
                    assertThat(rows.getInt(2)).isEqualTo(1);
                }
            }
        }
        assertThat(databaseExists(name)).isFalse();
    }

    @Test
    void twoDatabasesNeverShareAName() {
        try (TestDatabase first = TestDatabases.create();
                TestDatabase second = TestDatabases.create()) {
            assertThat(first.name()).isNotEqualTo(second.name());
            assertThat(databaseExists(first.name())).isTrue();
            assertThat(databaseExists(second.name())).isTrue();
        }
    }

    @Test
    void creationTimeIsReadBackFromTheName() {
        assertThat(TestDatabases.createdAt("fedtune_t1700000000_abc")).isEqualTo(1_700_000_000L);
        assertThat(TestDatabases.createdAt("fedtune_tgarbage")).isEqualTo(Long.MAX_VALUE);
    }

    private static boolean databaseExists(String name) {
        try (TestDatabase probe = TestDatabases.create();
                Connection connection =
                        DriverManager.getConnection(probe.jdbcUrl(), probe.username(), probe.password());
                Statement statement = connection.createStatement();
                ResultSet rows =
                        statement.executeQuery("SELECT count(*) FROM pg_database WHERE datname = '" + name + "'")) {
            rows.next();
            return rows.getInt(1) == 1;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
