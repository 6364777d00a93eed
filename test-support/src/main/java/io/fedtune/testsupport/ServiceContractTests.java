package io.fedtune.testsupport;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.core.env.Environment;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * What every fedtune service promises once it has started on real PostgreSQL: health with liveness and readiness,
 * a Prometheus scrape, its own schema migrated by Flyway, tokens required on the API, and ProblemDetail errors. A service's test extends this
 * class with {@code @SpringBootTest(webEnvironment = RANDOM_PORT)} and names its schema and a table of its first
 * migration.
 */
public abstract class ServiceContractTests {

    @Autowired
    private Environment environment;

    @Autowired
    private DataSource dataSource;

    /** The PostgreSQL schema the service owns. */
    protected abstract String schema();

    /** A table that the service's first migration creates. */
    protected abstract String firstTable();

    protected String baseUrl() {
        return "http://localhost:" + environment.getProperty("local.server.port");
    }

    @Test
    void serviceIsHealthyReadyAndScrapable() {
        ServiceChecks.assertHealthyAndScrapable(baseUrl());
    }

    @Test
    void flywayMigratesTheServiceOwnSchema() {
        JdbcTemplate jdbc = new JdbcTemplate(dataSource);
        Integer tables = jdbc.queryForObject(
                "SELECT count(*) FROM information_schema.tables WHERE table_schema = ? AND table_name = ?",
                Integer.class,
                schema(),
                firstTable());
        assertThat(tables).isEqualTo(1);
        assertThat(jdbc.queryForObject("SELECT current_schema()", String.class)).isEqualTo(schema());
        Integer applied = jdbc.queryForObject(
                "SELECT count(*) FROM " + schema() + ".flyway_schema_history WHERE success", Integer.class);
        assertThat(applied).isPositive();
    }

    /** A token the service accepts as ADMIN; services that issue their own tokens override this. */
    protected String adminToken() {
        return TestTokens.shared().admin();
    }

    @DynamicPropertySource
    static void trustTestTokens(DynamicPropertyRegistry registry) {
        TestTokens.register(registry);
    }

    @Test
    void apiWithoutTokenIsRefusedAsProblemDetail() {
        HttpResponse<String> response = ServiceChecks.get(baseUrl() + "/api/v1/no-such-thing");
        ServiceChecks.assertProblem(response, 401);
        assertThat(response.headers().firstValue("WWW-Authenticate")).hasValue("Bearer");
    }

    @Test
    void unknownPathIsAProblemDetail() {
        ServiceChecks.assertProblem(ServiceChecks.get(baseUrl() + "/api/v1/no-such-thing", adminToken()), 404);
    }
}
