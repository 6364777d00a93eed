package io.fedtune.aggregator.registry;

import io.fedtune.protocol.api.registry.AdapterUploadBody;
import io.fedtune.protocol.api.registry.AdapterVersionView;
import io.fedtune.protocol.api.registry.RegistryApi;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.function.Supplier;
import tools.jackson.databind.json.JsonMapper;

/**
 * The model registry over REST, with a SERVICE token the aggregator mints for itself: one streamed
 * {@code multipart/form-data} request per version, {@code POST {registry}/api/v1/adapters/{federationId}/versions}
 * with the {@code metadata} part ({@code AdapterVersionRegistration} JSON) first and the {@code adapter} part (the
 * safetensors bytes, never whole in memory) second, framed by protocol's {@link AdapterUploadBody}. 201 is a new
 * version, 200 the same version with the same bytes again (a retry); anything else is an error to retry later.
 */
public final class HttpModelRegistryClient implements ModelRegistryClient {

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
        long size = registration.metadata().sizeBytes();
        AdapterUploadBody body = AdapterUploadBody.of(json.writeValueAsBytes(registration.metadata()), size);
        HttpRequest.BodyPublisher bytes = HttpRequest.BodyPublishers.fromPublisher(
                HttpRequest.BodyPublishers.ofInputStream(() -> {
                    try {
                        return content.open();
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                }),
                size);
        HttpRequest request = HttpRequest.newBuilder(base.resolve(RegistryApi.versions(registration.federationId())))
                .timeout(Duration.ofMinutes(10))
                .header("Authorization", "Bearer " + token.get())
                .header("Content-Type", body.contentType())
                .header(RegistryApi.SHA256_HEADER, registration.metadata().sha256())
                .POST(HttpRequest.BodyPublishers.concat(
                        HttpRequest.BodyPublishers.ofByteArray(body.head()),
                        bytes,
                        HttpRequest.BodyPublishers.ofByteArray(body.tail())))
                .build();
        HttpResponse<String> response;
        try {
            response = http.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while calling the registry", e);
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
        if (response.statusCode() != 201 && response.statusCode() != 200) {
            throw new IOException("registry refused adapter v" + registration.version() + " of "
                    + registration.federationId() + ": " + response.statusCode() + " " + response.body());
        }
        AdapterVersionView view = json.readValue(response.body(), AdapterVersionView.class);
        if (view.id() == null || view.version() != registration.version()) {
            throw new IOException("registry answered with another version: " + response.body());
        }
        return view.id().toString();
    }
}
