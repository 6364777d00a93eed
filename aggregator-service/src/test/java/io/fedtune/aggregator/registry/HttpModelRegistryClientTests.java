package io.fedtune.aggregator.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import io.fedtune.protocol.api.registry.AdapterMethod;
import io.fedtune.protocol.api.registry.AdapterMetrics;
import io.fedtune.protocol.api.registry.AdapterPeftConfig;
import io.fedtune.protocol.api.registry.AdapterVersionRegistration;
import io.fedtune.protocol.api.registry.AdapterVersionView;
import io.fedtune.protocol.api.registry.PrivacySettings;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

/**
 * The HTTP registry client against a loopback server that records the request (the real registry is exercised by the
 * launcher's end-to-end test).
 */
class HttpModelRegistryClientTests {

    private final JsonMapper json = JsonMapper.builder().build();
    private final Map<String, String> received = new ConcurrentHashMap<>();
    private final UUID federation = UUID.randomUUID();
    private final UUID registryId = UUID.randomUUID();
    private HttpServer server;
    private int status = 201;

    @BeforeEach
    void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/api/v1/adapters", exchange -> {
            byte[] body = exchange.getRequestBody().readAllBytes();
            received.put(
                    "request",
                    exchange.getRequestMethod() + " " + exchange.getRequestURI().getPath());
            received.put("body", new String(body, StandardCharsets.ISO_8859_1));
            received.put("type", exchange.getRequestHeaders().getFirst("Content-Type"));
            received.put("length", exchange.getRequestHeaders().getFirst("Content-Length"));
            received.put("auth", exchange.getRequestHeaders().getFirst("Authorization"));
            byte[] answer = status / 100 == 2
                    ? json.writeValueAsBytes(new AdapterVersionView(
                            registryId,
                            federation,
                            3,
                            3,
                            2,
                            "tiny",
                            null,
                            "fedavg",
                            AdapterMetrics.empty(),
                            "ab".repeat(32),
                            5,
                            List.of(),
                            "available",
                            Instant.now(),
                            "aggregator",
                            null,
                            null))
                    : "{\"type\":\"urn:fedtune:problem:version-exists\"}".getBytes();
            exchange.sendResponseHeaders(status, answer.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(answer);
            }
        });
        server.start();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    private ModelRegistryClient.AdapterRegistration registration() {
        return new ModelRegistryClient.AdapterRegistration(
                federation,
                new AdapterVersionRegistration(
                        3,
                        3,
                        2,
                        "demo",
                        "tiny",
                        new AdapterPeftConfig(AdapterMethod.LORA, 8, 16, 0, false, List.of("q_proj"), 0, "ffa"),
                        "fedavg",
                        PrivacySettings.none(),
                        new AdapterMetrics(0.5, 0.6, 2, 30L, null, null, Map.of()),
                        "ab".repeat(32),
                        5L));
    }

    private HttpModelRegistryClient client() {
        return new HttpModelRegistryClient(
                URI.create("http://127.0.0.1:" + server.getAddress().getPort()), () -> "service-token", json);
    }

    @Test
    void registersTheVersionAsOneMultipartRequestWithTheMetadataFirstAndTheBytesStreamedAfter() throws IOException {
        String id = client().register(registration(), () -> new ByteArrayInputStream("BYTES".getBytes()));

        assertThat(id).isEqualTo(registryId.toString());
        assertThat(received.get("request")).isEqualTo("POST /api/v1/adapters/" + federation + "/versions");
        assertThat(received.get("type")).startsWith("multipart/form-data; boundary=");
        assertThat(received.get("auth")).isEqualTo("Bearer service-token");
        String body = received.get("body");
        assertThat(Long.parseLong(received.get("length"))).isEqualTo(body.length());
        int metadata = body.indexOf("name=\"metadata\"");
        int adapter = body.indexOf("name=\"adapter\"");
        assertThat(metadata).isPositive().isLessThan(adapter);
        assertThat(body.indexOf("BYTES")).isGreaterThan(adapter);
        assertThat(body)
                .contains("\"parentVersion\":2")
                .contains("\"trainLoss\":0.5")
                .contains("\"round\":3");
    }

    @Test
    void aRetryAnsweredWith200CountsAsRegisteredAndAConflictIsAnError() throws IOException {
        status = 200;
        assertThat(client().register(registration(), () -> new ByteArrayInputStream(new byte[5])))
                .isEqualTo(registryId.toString());
        status = 409;
        assertThatThrownBy(() -> client().register(registration(), () -> new ByteArrayInputStream(new byte[5])))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("409")
                .hasMessageContaining("version-exists");
    }
}
