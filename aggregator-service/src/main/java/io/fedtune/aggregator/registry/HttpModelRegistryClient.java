package io.fedtune.aggregator.registry;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.function.Supplier;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The registry over REST, with a SERVICE token the aggregator mints for itself. Two calls:
 * {@code POST {base}/api/v1/adapters} with the registration as JSON (answered with {@code {"id": …}}; 409 with the
 * same body when it already exists, which counts as success), then {@code PUT {base}/api/v1/adapters/{id}/content}
 * with the safetensors bytes streamed and their SHA-256 in {@code Fedtune-Sha256}. The paths are constants here so
 * they follow the registry's API in one edit.
 */
public final class HttpModelRegistryClient implements ModelRegistryClient {

    static final String REGISTER_PATH = "/api/v1/adapters";
    static final String CONTENT_PATH = "/api/v1/adapters/%s/content";

    private final URI base;
    private final Supplier<String> token;
    private final JsonMapper json;
    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    public HttpModelRegistryClient(URI base, Supplier<String> token, JsonMapper json) {
        this.base = base;
        this.token = token;
        this.json = json;
    }

    @Override
    public String register(AdapterRegistration registration, ContentSource content) throws IOException {
        HttpRequest create = HttpRequest.newBuilder(base.resolve(REGISTER_PATH))
                .timeout(Duration.ofSeconds(30))
                .header("Authorization", "Bearer " + token.get())
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(json.writeValueAsBytes(registration)))
                .build();
        HttpResponse<String> created = send(create, HttpResponse.BodyHandlers.ofString());
        if (created.statusCode() != 201 && created.statusCode() != 200 && created.statusCode() != 409) {
            throw new IOException("registry refused adapter v" + registration.version() + ": " + created.statusCode()
                    + " " + created.body());
        }
        JsonNode body = json.readTree(created.body());
        String id = body.path("id").asString(null);
        if (id == null) {
            throw new IOException("registry answered without an id: " + created.body());
        }
        HttpRequest upload = HttpRequest.newBuilder(base.resolve(String.format(CONTENT_PATH, id)))
                .timeout(Duration.ofMinutes(10))
                .header("Authorization", "Bearer " + token.get())
                .header("Content-Type", "application/octet-stream")
                .header("Fedtune-Sha256", registration.sha256())
                .PUT(HttpRequest.BodyPublishers.fromPublisher(
                        HttpRequest.BodyPublishers.ofInputStream(() -> {
                            try {
                                return content.open();
                            } catch (IOException e) {
                                throw new java.io.UncheckedIOException(e);
                            }
                        }),
                        registration.sizeBytes()))
                .build();
        HttpResponse<String> uploaded = send(upload, HttpResponse.BodyHandlers.ofString());
        if (uploaded.statusCode() / 100 != 2 && uploaded.statusCode() != 409) {
            throw new IOException("registry refused the bytes of adapter v" + registration.version() + ": "
                    + uploaded.statusCode() + " " + uploaded.body());
        }
        return id;
    }

    private <T> HttpResponse<T> send(HttpRequest request, HttpResponse.BodyHandler<T> handler) throws IOException {
        try {
            return http.send(request, handler);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while calling the registry", e);
        }
    }
}
