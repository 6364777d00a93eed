package io.fedtune.aggregator.security;

import static org.assertj.core.api.Assertions.assertThat;

import io.fedtune.aggregator.round.Replicas;
import io.fedtune.testsupport.TestDatabase;
import io.fedtune.testsupport.TestDatabases;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.ConfigurableApplicationContext;
import tools.jackson.databind.json.JsonMapper;

/**
 * Without a configured secret, the first start generates the bootstrap admin secret and prints it once; it and the
 * signing key live in the database, so a restarted service accepts both the secret and the tokens issued before.
 */
@ExtendWith(OutputCaptureExtension.class)
class BootstrapAdminTests {

    private static final Pattern SECRET = Pattern.compile("client_secret: (fta_[A-Za-z0-9_-]+)");

    @TempDir
    Path home;

    private static HttpResponse<String> call(String url, String token, String form) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url));
        if (form != null) {
            request.header("Content-Type", "application/x-www-form-urlencoded")
                    .POST(HttpRequest.BodyPublishers.ofString(form));
        }
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        return HttpClient.newHttpClient().send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void theGeneratedSecretIsPrintedOnceAndItAndIssuedTokensSurviveARestart(CapturedOutput output) throws Exception {
        try (TestDatabase database = TestDatabases.create()) {
            String secret;
            String token;
            ConfigurableApplicationContext first = Replicas.startWithout(database, home.resolve("blobs"));
            try {
                Matcher matcher = SECRET.matcher(output.getOut());
                assertThat(matcher.find()).as("the banner with the secret").isTrue();
                secret = matcher.group(1);
                HttpResponse<String> issued = call(
                        Replicas.url(first) + "/oauth2/token",
                        null,
                        "grant_type=client_credentials&client_id=admin&client_secret=" + secret);
                assertThat(issued.statusCode()).isEqualTo(200);
                token = JsonMapper.builder()
                        .build()
                        .readTree(issued.body())
                        .get("access_token")
                        .asString();
            } finally {
                first.close();
            }
            int printedBefore = countMatches(output.getOut());
            ConfigurableApplicationContext second = Replicas.startWithout(database, home.resolve("blobs"));
            try {
                assertThat(countMatches(output.getOut())).isEqualTo(printedBefore);
                assertThat(call(Replicas.url(second) + "/api/v1/federations", token, null)
                                .statusCode())
                        .isEqualTo(200);
                assertThat(call(
                                        Replicas.url(second) + "/oauth2/token",
                                        null,
                                        "grant_type=client_credentials&client_id=admin&client_secret=" + secret)
                                .statusCode())
                        .isEqualTo(200);
                assertThat(call(
                                        Replicas.url(second) + "/oauth2/token",
                                        null,
                                        "grant_type=client_credentials&client_id=admin&client_secret=wrong")
                                .statusCode())
                        .isEqualTo(401);
                String jwks =
                        call(Replicas.url(second) + "/oauth2/jwks", null, null).body();
                assertThat(jwks).contains("\"kty\":\"RSA\"").doesNotContain("\"d\"");
            } finally {
                second.close();
            }
        }
    }

    private static int countMatches(String text) {
        Matcher matcher = SECRET.matcher(text);
        int n = 0;
        while (matcher.find()) {
            n++;
        }
        return n;
    }
}
