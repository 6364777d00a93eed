package io.fedtune.launcher;

import io.fedtune.protocol.api.FederationConfig;
import io.fedtune.protocol.api.RoundDetail;
import io.fedtune.protocol.api.RoundView;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** The admin's side of the aggregator over real HTTP, with the bootstrap admin credential. */
final class AdminApi {

    static final String ADMIN_SECRET = "launcher-test-admin-secret";
    static final JsonMapper json = JsonMapper.builder().build();
    private static final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private final String base;
    private String token;

    AdminApi(String base) {
        this.base = base;
    }

    private String token() {
        if (token == null) {
            String basic =
                    Base64.getEncoder().encodeToString(("admin:" + ADMIN_SECRET).getBytes(StandardCharsets.UTF_8));
            HttpResponse<String> response = send(HttpRequest.newBuilder(URI.create(base + "/oauth2/token"))
                    .header("Authorization", "Basic " + basic)
                    .header("Content-Type", "application/x-www-form-urlencoded")
                    .POST(HttpRequest.BodyPublishers.ofString("grant_type=client_credentials")));
            token = read(response, 200).get("access_token").asString();
        }
        return token;
    }

    static HttpResponse<String> send(HttpRequest.Builder request) {
        try {
            return http.send(request.timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    static JsonNode read(HttpResponse<String> response, int status) {
        if (response.statusCode() != status) {
            throw new AssertionError("expected " + status + " but got " + response.statusCode() + " for "
                    + response.request().uri() + ": " + response.body());
        }
        return response.body().isEmpty() ? null : json.readTree(response.body());
    }

    HttpResponse<String> post(String path, Object body) {
        return send(HttpRequest.newBuilder(URI.create(base + path))
                .header("Authorization", "Bearer " + token())
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(
                        body instanceof String s ? s : json.writeValueAsString(body))));
    }

    HttpResponse<String> get(String path) {
        return send(HttpRequest.newBuilder(URI.create(base + path))
                .header("Authorization", "Bearer " + token())
                .GET());
    }

    byte[] download(String path) {
        try {
            HttpResponse<byte[]> response = http.send(
                    HttpRequest.newBuilder(URI.create(base + path))
                            .header("Authorization", "Bearer " + token())
                            .GET()
                            .build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            if (response.statusCode() != 200) {
                throw new AssertionError("download " + path + ": " + response.statusCode());
            }
            return response.body();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    UUID createAndStart(FederationConfig config) {
        UUID id = UUID.fromString(
                read(post("/api/v1/federations", config), 201).get("id").asString());
        read(post("/api/v1/federations/" + id + "/start", ""), 200);
        return id;
    }

    String enrollmentToken(UUID federation, int uses) {
        return read(
                        post(
                                "/api/v1/federations/" + federation + "/enrollment-tokens",
                                Map.of("expiresIn", "PT1H", "maxUses", uses)),
                        201)
                .get("token")
                .asString();
    }

    void revoke(UUID federation, UUID client) {
        read(post("/api/v1/federations/" + federation + "/clients/" + client + "/revoke", ""), 204);
    }

    String federationStatus(UUID federation) {
        return read(get("/api/v1/federations/" + federation), 200).get("status").asString();
    }

    List<RoundView> rounds(UUID federation) {
        return List.of(
                json.treeToValue(read(get("/api/v1/federations/" + federation + "/rounds"), 200), RoundView[].class));
    }

    RoundDetail round(UUID federation, int number) {
        return json.treeToValue(
                read(get("/api/v1/federations/" + federation + "/rounds/" + number), 200), RoundDetail.class);
    }

    /** Every global adapter version: number → download path. */
    JsonNode adapters(UUID federation) {
        return read(get("/api/v1/federations/" + federation + "/adapters"), 200);
    }
}
