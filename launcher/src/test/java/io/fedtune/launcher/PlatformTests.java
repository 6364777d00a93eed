package io.fedtune.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import io.fedtune.testsupport.ServiceChecks;
import io.fedtune.testsupport.TestTokens;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PlatformTests {

    @Test
    void platformComesUpOnEmbeddedPostgresAndKeepsItsDataAcrossRestarts(@TempDir Path home) throws Exception {
        try (Platform platform = Platform.start(Platform.Options.ephemeral(home))) {
            for (String url : new String[] {platform.gatewayUrl(), platform.aggregatorUrl(), platform.registryUrl()}) {
                ServiceChecks.assertHealthyAndScrapable(url);
            }
            try (Connection connection = DriverManager.getConnection(jdbcUrl(platform), "postgres", "");
                    Statement statement = connection.createStatement()) {
                statement.execute("INSERT INTO aggregator.audit_log (occurred_at, actor, action, outcome)"
                        + " VALUES (now(), 'test', 'first-run', 'OK')");
            }
        }
        try (Platform platform = Platform.start(Platform.Options.ephemeral(home));
                Connection connection = DriverManager.getConnection(jdbcUrl(platform), "postgres", "");
                Statement statement = connection.createStatement();
                ResultSet rows = statement.executeQuery("SELECT action FROM aggregator.audit_log")) {
            assertThat(rows.next()).isTrue();
            assertThat(rows.getString(1)).isEqualTo("first-run");
        }
    }

    @Test
    void gatewayRoutesApiPathsToTheOwningService(@TempDir Path home) {
        TestTokens tokens = TestTokens.shared();
        try (Platform platform = Platform.start(
                Platform.Options.ephemeral(home), "--fedtune.security.issuer-uri=" + tokens.issuerUri())) {
            ServiceChecks.assertProblem(ServiceChecks.get(platform.gatewayUrl() + "/api/v1/models/x"), 401);
            // No controller owns this path, so the registry answers with its own ProblemDetail 404:
            // reaching it at all proves the route.
            HttpResponse<String> models =
                    ServiceChecks.get(platform.gatewayUrl() + "/api/v1/models/no-such-path/x", tokens.admin());
            ServiceChecks.assertProblem(models, 404);
            assertThat(models.body()).contains("\"instance\":\"/api/v1/models/no-such-path/x\"");
        }
    }

    private static String jdbcUrl(Platform platform) throws Exception {
        String conf =
                java.nio.file.Files.readString(platform.postgresDataDirectory().resolve("postmaster.pid"));
        String port = conf.lines().skip(3).findFirst().orElseThrow().trim();
        return "jdbc:postgresql://127.0.0.1:" + port + "/postgres";
    }
}
