package io.fedtune.aggregator.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

/** The HTTP registry client against a loopback server that records what it receives. */
class HttpModelRegistryClientTests {

    private final JsonMapper json = JsonMapper.builder().build();
    private final Map<String, String> received = new ConcurrentHashMap<>();
    private HttpServer server;
    private int createStatus = 201;

    @BeforeEach
    void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/api/v1/adapters", exchange -> {
            String path = exchange.getRequestURI().getPath();
            byte[] body = exchange.getRequestBody().readAllBytes();
            received.put(exchange.getRequestMethod() + " " + path, new String(body, StandardCharsets.ISO_8859_1));
            received.put(
                    "auth " + exchange.getRequestMethod(),
                    exchange.getRequestHeaders().getFirst("Authorization"));
            if (path.endsWith("/content")) {
                received.put("sha", exchange.getRequestHeaders().getFirst("Fedtune-Sha256"));
            }
            byte[] answer = path.endsWith("/content") ? new byte[0] : "{\"id\":\"adapter-42\"}".getBytes();
            exchange.sendResponseHeaders(
                    path.endsWith("/content") ? 204 : createStatus, answer.length == 0 ? -1 : answer.length);
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
                UUID.randomUUID(),
                "demo",
                3,
                3,
                "tiny-llama",
                "lora",
                8,
                16,
                List.of("q_proj"),
                "ffa",
                "fedavg",
                2,
                "ab".repeat(32),
                5,
                Map.of());
    }

    @Test
    void registersTheVersionThenStreamsItsBytesWithAServiceToken() throws IOException {
        HttpModelRegistryClient client = new HttpModelRegistryClient(
                URI.create("http://127.0.0.1:" + server.getAddress().getPort()), () -> "service-token", json);

        String id = client.register(registration(), () -> new ByteArrayInputStream("bytes".getBytes()));

        assertThat(id).isEqualTo("adapter-42");
        assertThat(json.readTree(received.get("POST /api/v1/adapters"))
                        .get("version")
                        .asInt())
                .isEqualTo(3);
        assertThat(received.get("PUT /api/v1/adapters/adapter-42/content")).isEqualTo("bytes");
        assertThat(received).containsEntry("auth POST", "Bearer service-token").containsEntry("sha", "ab".repeat(32));
    }

    @Test
    void anExistingVersionCountsAsRegisteredAndARefusalIsAnError() throws IOException {
        HttpModelRegistryClient client = new HttpModelRegistryClient(
                URI.create("http://127.0.0.1:" + server.getAddress().getPort()), () -> "t", json);
        createStatus = 409;
        assertThat(client.register(registration(), () -> new ByteArrayInputStream(new byte[5])))
                .isEqualTo("adapter-42");
        createStatus = 403;
        assertThatThrownBy(() -> client.register(registration(), () -> new ByteArrayInputStream(new byte[5])))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("403");
    }
}
