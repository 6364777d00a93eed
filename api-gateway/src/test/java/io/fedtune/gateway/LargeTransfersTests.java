package io.fedtune.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.fedtune.testsupport.ChildJvm;
import io.fedtune.testsupport.ServiceChecks;
import io.fedtune.testsupport.TestDatabase;
import io.fedtune.testsupport.TestDatabases;
import io.fedtune.testsupport.TestTokens;
import java.io.IOException;
import java.io.InputStream;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A 200 MB adapter goes up and comes down through a gateway whose heap is capped at 128 MB: the gateway runs as its
 * own JVM ({@code -Xmx128m}, exiting on the first OutOfMemoryError), in front of a {@link TestUpstream} that hashes
 * what it receives and generates what it sends. Both directions must arrive byte for byte.
 */
class LargeTransfersTests {

    static final long SIZE = 200L * 1024 * 1024;
    private static final Logger log = LoggerFactory.getLogger(LargeTransfersTests.class);

    static TestUpstream registry;
    static TestDatabase database;
    static ChildJvm gateway;
    static String gatewayUrl;
    static Path gatewayLog;

    @BeforeAll
    static void startGatewayWithSmallHeap(@TempDir Path home) throws Exception {
        registry = TestUpstream.start("registry");
        database = TestDatabases.create();
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        gatewayUrl = "http://127.0.0.1:" + port;
        gatewayLog = home.resolve("gateway.log");
        gateway = ChildJvm.start(
                "128m",
                List.of(),
                GatewayApplication.class,
                List.of(
                        "--server.port=" + port,
                        "--spring.main.banner-mode=off",
                        "--spring.datasource.url=" + database.jdbcUrl(),
                        "--spring.datasource.username=" + database.username(),
                        "--spring.datasource.password=" + database.password(),
                        "--fedtune.home=" + home,
                        "--fedtune.security.issuer-uri=" + TestTokens.shared().issuerUri(),
                        "--fedtune.gateway.registry-uri=" + registry.url(),
                        "--fedtune.gateway.aggregator-uri=" + registry.url(),
                        "--logging.level.io.fedtune.gateway.access=WARN"),
                gatewayLog);
        gateway.awaitReady(gatewayUrl + "/actuator/health/readiness", Duration.ofSeconds(90));
    }

    @AfterAll
    static void stop() throws Exception {
        if (gateway != null) {
            gateway.close();
        }
        if (registry != null) {
            registry.close();
        }
        if (database != null) {
            database.close();
        }
    }

    @Test
    void twoHundredMegabytesGoUpAndComeDownThroughA128MegabyteGateway() throws Exception {
        HttpClient http = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5))
                .build();
        String token = TestTokens.shared().service();
        String expected = sha256Of(new TestUpstream.PatternStream(SIZE));

        long upStarted = System.nanoTime();
        HttpResponse<String> up = http.send(
                HttpRequest.newBuilder(URI.create(gatewayUrl + "/api/v1/adapters/big/blob"))
                        .header("Authorization", "Bearer " + token)
                        .header("Content-Type", "application/octet-stream")
                        .PUT(HttpRequest.BodyPublishers.fromPublisher(
                                HttpRequest.BodyPublishers.ofInputStream(() -> new TestUpstream.PatternStream(SIZE)),
                                SIZE))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        double upSeconds = (System.nanoTime() - upStarted) / 1e9;
        assertThat(up.statusCode()).as(up.body()).isEqualTo(201);
        assertThat(up.body()).contains("\"bytes\":" + SIZE).contains("\"sha256\":\"" + expected + "\"");

        long downStarted = System.nanoTime();
        HttpResponse<InputStream> down = http.send(
                HttpRequest.newBuilder(URI.create(gatewayUrl + "/api/v1/adapters/big/blob?bytes=" + SIZE))
                        .header("Authorization", "Bearer " + token)
                        .GET()
                        .build(),
                HttpResponse.BodyHandlers.ofInputStream());
        assertThat(down.statusCode()).isEqualTo(200);
        assertThat(down.headers().firstValueAsLong("Content-Length")).hasValue(SIZE);
        String received;
        try (InputStream body = down.body()) {
            received = sha256Of(body);
        }
        double downSeconds = (System.nanoTime() - downStarted) / 1e9;
        assertThat(received).isEqualTo(expected);

        assertThat(gateway.isAlive())
                .as("gateway survived; its log: " + gatewayLog)
                .isTrue();
        assertThat(heapMaxOfGateway()).isLessThanOrEqualTo(128L * 1024 * 1024);
        log.info(String.format(
                Locale.ROOT,
                "200 MB through the gateway at -Xmx128m: up %.1f MB/s (%.2f s), down %.1f MB/s (%.2f s)",
                200 / upSeconds,
                upSeconds,
                200 / downSeconds,
                downSeconds));
    }

    /** The gateway's own report of its heap ceiling, so the test knows the cap held. */
    private static long heapMaxOfGateway() throws IOException {
        String metrics = ServiceChecks.get(gatewayUrl + "/actuator/prometheus").body();
        long total = 0;
        for (String line : metrics.lines().toList()) {
            if (line.startsWith("jvm_memory_max_bytes{") && line.contains("area=\"heap\"")) {
                double value = Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
                if (value > 0) {
                    total += (long) value;
                }
            }
        }
        assertThat(total)
                .as("heap pools in " + Files.size(gatewayLog) + " bytes of log")
                .isPositive();
        return total;
    }

    private static String sha256Of(InputStream in) throws IOException {
        MessageDigest sha = TestUpstream.sha256();
        try (DigestInputStream digesting = new DigestInputStream(in, sha)) {
            digesting.transferTo(java.io.OutputStream.nullOutputStream());
        }
        return HexFormat.of().formatHex(sha.digest());
    }
}
