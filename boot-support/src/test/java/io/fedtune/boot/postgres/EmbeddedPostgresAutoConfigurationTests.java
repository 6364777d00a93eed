package io.fedtune.boot.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.jdbc.core.JdbcTemplate;

class EmbeddedPostgresAutoConfigurationTests {

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(
                    AutoConfigurations.of(EmbeddedPostgresAutoConfiguration.class, DataSourceAutoConfiguration.class));

    @Test
    void serviceWithoutDatasourceStartsEmbeddedPostgresWhoseDataSurvivesRestart(@TempDir Path home) {
        String dataDirectory = "fedtune.embedded-postgres.data-directory=" + home.resolve("pg");
        runner.withPropertyValues(dataDirectory).run(context -> {
            assertThat(context).hasSingleBean(EmbeddedPostgresServer.class);
            JdbcTemplate jdbc = new JdbcTemplate(context.getBean(DataSource.class));
            jdbc.execute("CREATE TABLE kept (note text)");
            jdbc.update("INSERT INTO kept VALUES ('written by the first run')");
        });
        assertThat(home.resolve("pg/postgresql.conf")).exists();

        runner.withPropertyValues(dataDirectory).run(context -> {
            JdbcTemplate jdbc = new JdbcTemplate(context.getBean(DataSource.class));
            assertThat(jdbc.queryForObject("SELECT note FROM kept", String.class))
                    .isEqualTo("written by the first run");
        });
    }

    @Test
    void configuredDatasourceUrlAlwaysWins() {
        runner.withPropertyValues("spring.datasource.url=jdbc:postgresql://db.example:5432/fedtune")
                .run(context -> {
                    assertThat(context).doesNotHaveBean(EmbeddedPostgresServer.class);
                    assertThat(context.getBean(DataSource.class).toString()).doesNotContain("127.0.0.1");
                });
    }

    @Test
    void embeddedPostgresCanBeSwitchedOff() {
        new ApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(EmbeddedPostgresAutoConfiguration.class))
                .withPropertyValues("fedtune.embedded-postgres.enabled=false")
                .run(context -> assertThat(context).doesNotHaveBean(EmbeddedPostgresServer.class));
    }
}
