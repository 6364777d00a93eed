package io.fedtune.launcher.demo;

import io.fedtune.protocol.api.AdapterView;
import io.fedtune.protocol.api.CreateEnrollmentTokenRequest;
import io.fedtune.protocol.api.EnrollmentTokenCreated;
import io.fedtune.protocol.api.FederationConfig;
import io.fedtune.protocol.api.FederationView;
import io.fedtune.protocol.api.RoundDetail;
import io.fedtune.protocol.api.RoundView;
import io.fedtune.protocol.api.TokenResponse;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.UUID;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.json.JsonMapper;

/**
 * What an administrator does, over real HTTP through the gateway: exchange the bootstrap admin credential for a JWT
 * and drive a federation with it. Every answer other than the expected status is a {@link DemoException} carrying the
 * service's ProblemDetail.
 */
final class GatewayAdmin {

    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    private final JsonMapper json;
    private final String gatewayUrl;
    private final String adminSecret;
    private String token;
    private Instant tokenExpires = Instant.EPOCH;

    GatewayAdmin(String gatewayUrl, String adminSecret, JsonMapper json) {
        this.gatewayUrl = gatewayUrl;
        this.adminSecret = adminSecret;
        this.json = json;
    }

    String gatewayUrl() {
        return gatewayUrl;
    }

    FederationView createFederation(FederationConfig config) {
        return send("POST", "/api/v1/federations", config, 201, FederationView.class);
    }

    EnrollmentTokenCreated createEnrollmentToken(UUID federation, String label) {
        return send(
                "POST",
                "/api/v1/federations/" + federation + "/enrollment-tokens",
                new CreateEnrollmentTokenRequest(Duration.ofHours(1), 1, label),
                201,
                EnrollmentTokenCreated.class);
    }

    FederationView start(UUID federation) {
        return send("POST", "/api/v1/federations/" + federation + "/start", null, 200, FederationView.class);
    }

    FederationView cancel(UUID federation) {
        return send("POST", "/api/v1/federations/" + federation + "/cancel", null, 200, FederationView.class);
    }

    FederationView federation(UUID federation) {
        return send("GET", "/api/v1/federations/" + federation, null, 200, FederationView.class);
    }

    List<RoundView> rounds(UUID federation) {
        return send("GET", "/api/v1/federations/" + federation + "/rounds", null, 200, new TypeReference<>() {});
    }

    RoundDetail round(UUID federation, int number) {
        return send("GET", "/api/v1/federations/" + federation + "/rounds/" + number, null, 200, RoundDetail.class);
    }

    List<AdapterView> adapters(UUID federation) {
        return send("GET", "/api/v1/federations/" + federation + "/adapters", null, 200, new TypeReference<>() {});
    }

    /**
     * Downloads a global adapter version's safetensors from the aggregator (available the moment its round closes)
     * into {@code file}, through a temporary file beside it.
     */
    Path downloadAdapter(UUID federation, int version, Path file) {
        HttpResponse<InputStream> response = exchange(
                request("/api/v1/agent/federations/" + federation + "/adapters/" + version)
                        .GET()
                        .build(),
                HttpResponse.BodyHandlers.ofInputStream());
        try (InputStream body = response.body()) {
            if (response.statusCode() != 200) {
                throw problem(
                        "GET adapter version " + version,
                        response.statusCode(),
                        new String(body.readAllBytes(), StandardCharsets.UTF_8));
            }
            Path target = file.toAbsolutePath();
            Files.createDirectories(target.getParent());
            Path partial = Files.createTempFile(
                    target.getParent(), target.getFileName().toString(), ".partial");
            try {
                Files.copy(body, partial, StandardCopyOption.REPLACE_EXISTING);
                Files.move(partial, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } finally {
                Files.deleteIfExists(partial);
            }
            return target;
        } catch (IOException e) {
            throw new UncheckedIOException("Downloading adapter version " + version + " to " + file, e);
        }
    }

    /**
     * Exports a global adapter version from the registry in Hugging Face PEFT layout ({@code adapter_config.json},
     * {@code adapter_model.safetensors}, {@code README.md}) into {@code directory}, replacing it whole: the files are
     * unpacked next to it first and moved into place.
     */
    Path exportPeft(UUID federation, int version, Path directory) {
        HttpResponse<InputStream> response = exchange(
                request("/api/v1/adapters/" + federation + "/versions/" + version + "/peft.zip")
                        .GET()
                        .build(),
                HttpResponse.BodyHandlers.ofInputStream());
        try (InputStream body = response.body()) {
            if (response.statusCode() != 200) {
                throw problem(
                        "GET peft.zip of version " + version,
                        response.statusCode(),
                        new String(body.readAllBytes(), StandardCharsets.UTF_8));
            }
            Path parent = directory.toAbsolutePath().getParent();
            Files.createDirectories(parent);
            Path staging = Files.createTempDirectory(parent, directory.getFileName() + ".partial");
            try (ZipInputStream zip = new ZipInputStream(body)) {
                for (ZipEntry entry; (entry = zip.getNextEntry()) != null; ) {
                    Path target = staging.resolve(entry.getName()).normalize();
                    if (!target.getParent().equals(staging) || entry.isDirectory()) {
                        throw new DemoException("The registry's export holds an unexpected entry: " + entry.getName());
                    }
                    Files.copy(zip, target);
                }
            }
            DemoFiles.deleteRecursively(directory);
            Files.move(staging, directory, StandardCopyOption.ATOMIC_MOVE);
            return directory;
        } catch (IOException e) {
            throw new UncheckedIOException("Exporting adapter version " + version + " to " + directory, e);
        }
    }

    private <T> T send(String method, String path, Object body, int expected, Class<T> type) {
        return json.readValue(sendForBody(method, path, body, expected), type);
    }

    private <T> T send(String method, String path, Object body, int expected, TypeReference<T> type) {
        return json.readValue(sendForBody(method, path, body, expected), type);
    }

    private String sendForBody(String method, String path, Object body, int expected) {
        HttpRequest.Builder request = request(path);
        if (body == null) {
            request.method(method, HttpRequest.BodyPublishers.noBody());
        } else {
            request.header("Content-Type", "application/json")
                    .method(method, HttpRequest.BodyPublishers.ofByteArray(json.writeValueAsBytes(body)));
        }
        HttpResponse<String> response =
                exchange(request.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        if (response.statusCode() != expected) {
            throw problem(method + " " + path, response.statusCode(), response.body());
        }
        return response.body();
    }

    private HttpRequest.Builder request(String path) {
        return HttpRequest.newBuilder(URI.create(gatewayUrl + path))
                .timeout(Duration.ofMinutes(2))
                .header("Authorization", "Bearer " + token());
    }

    private synchronized String token() {
        if (token != null && Instant.now().isBefore(tokenExpires.minusSeconds(30))) {
            return token;
        }
        String basic = Base64.getEncoder().encodeToString(("admin:" + adminSecret).getBytes(StandardCharsets.UTF_8));
        HttpRequest request = HttpRequest.newBuilder(URI.create(gatewayUrl + "/oauth2/token"))
                .timeout(Duration.ofSeconds(30))
                .header("Authorization", "Basic " + basic)
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString("grant_type=client_credentials"))
                .build();
        HttpResponse<String> response = exchange(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        if (response.statusCode() != 200) {
            throw problem("POST /oauth2/token (admin)", response.statusCode(), response.body());
        }
        TokenResponse tokenResponse = json.readValue(response.body(), TokenResponse.class);
        token = tokenResponse.accessToken();
        tokenExpires = Instant.now().plusSeconds(tokenResponse.expiresIn());
        return token;
    }

    private <T> HttpResponse<T> exchange(HttpRequest request, HttpResponse.BodyHandler<T> handler) {
        try {
            return http.send(request, handler);
        } catch (IOException e) {
            throw new DemoException(request.method() + " " + request.uri() + " failed: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DemoException("Interrupted during " + request.method() + " " + request.uri(), e);
        }
    }

    private static DemoException problem(String call, int status, String body) {
        return new DemoException(call + " answered " + status + ": " + body);
    }
}
