package io.fedtune.registry.support;

import io.fedtune.protocol.api.registry.AdapterUploadBody;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.UUID;
import java.util.function.Supplier;
import tools.jackson.databind.json.JsonMapper;

/** Real HTTP to the registry under test, as its clients (aggregator, agent, admins) talk to it. */
public final class RegistryHttp {

    public static final JsonMapper JSON = JsonMapper.builder().build();

    private final String base;
    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    public RegistryHttp(int port) {
        this.base = "http://127.0.0.1:" + port;
    }

    public String base() {
        return base;
    }

    public HttpResponse<String> get(String path, String token, String... headers) {
        return send(request(path, token, headers).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    public HttpResponse<byte[]> getBytes(String path, String token, String... headers) {
        return send(request(path, token, headers).GET().build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    public HttpResponse<byte[]> head(String path, String token) {
        return send(
                request(path, token)
                        .method("HEAD", HttpRequest.BodyPublishers.noBody())
                        .build(),
                HttpResponse.BodyHandlers.ofByteArray());
    }

    public HttpResponse<InputStream> getStream(String path, String token, String... headers) {
        return send(request(path, token, headers).GET().build(), HttpResponse.BodyHandlers.ofInputStream());
    }

    public HttpResponse<String> postJson(String path, String token, Object body) {
        return send(
                request(path, token, "Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(body)))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    public HttpResponse<String> post(String path, String token) {
        return send(
                request(path, token).POST(HttpRequest.BodyPublishers.noBody()).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    public HttpResponse<String> putJson(String path, String token, Object body) {
        return send(
                request(path, token, "Content-Type", "application/json")
                        .PUT(HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(body)))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    public HttpResponse<String> putBytes(String path, String token, byte[] body, String... headers) {
        return send(
                request(path, token, headers)
                        .PUT(HttpRequest.BodyPublishers.ofByteArray(body))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    public HttpResponse<String> delete(String path, String token) {
        return send(request(path, token).DELETE().build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Registers an adapter version: multipart with the metadata JSON, then the bytes. */
    public HttpResponse<String> register(String token, UUID federationId, Object metadata, byte[] adapter) {
        return register(token, federationId, metadata, () -> new ByteArrayInputStream(adapter), adapter.length);
    }

    /** Registers an adapter version whose bytes are streamed from a source of known length. */
    public HttpResponse<String> register(
            String token, UUID federationId, Object metadata, Supplier<InputStream> adapter, long length) {
        AdapterUploadBody body = AdapterUploadBody.of(JSON.writeValueAsBytes(metadata), length);
        HttpRequest request = request(
                        "/api/v1/adapters/" + federationId + "/versions", token, "Content-Type", body.contentType())
                .timeout(Duration.ofMinutes(10))
                .POST(HttpRequest.BodyPublishers.concat(
                        HttpRequest.BodyPublishers.ofByteArray(body.head()),
                        HttpRequest.BodyPublishers.fromPublisher(
                                HttpRequest.BodyPublishers.ofInputStream(adapter), length),
                        HttpRequest.BodyPublishers.ofByteArray(body.tail())))
                .build();
        return send(request, HttpResponse.BodyHandlers.ofString());
    }

    private HttpRequest.Builder request(String path, String token, String... headers) {
        HttpRequest.Builder builder =
                HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(60));
        if (token != null) {
            builder.header("Authorization", "Bearer " + token);
        }
        for (int i = 0; i < headers.length; i += 2) {
            builder.header(headers[i], headers[i + 1]);
        }
        return builder;
    }

    private <T> HttpResponse<T> send(HttpRequest request, HttpResponse.BodyHandler<T> handler) {
        try {
            return http.send(request, handler);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
