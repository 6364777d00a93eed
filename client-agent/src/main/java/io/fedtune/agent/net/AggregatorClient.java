package io.fedtune.agent.net;

import io.fedtune.agent.home.AgentHome;
import io.fedtune.agent.home.Credentials;
import io.fedtune.protocol.api.EnrollmentRequest;
import io.fedtune.protocol.api.EnrollmentResponse;
import io.fedtune.protocol.api.FailureReport;
import io.fedtune.protocol.api.HeartbeatRequest;
import io.fedtune.protocol.api.HeartbeatResponse;
import io.fedtune.protocol.api.TaskView;
import io.fedtune.protocol.api.TokenResponse;
import io.fedtune.protocol.api.UpdateMetadata;
import io.fedtune.protocol.api.UpdateReceipt;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import tools.jackson.databind.JsonNode;

/**
 * The agent's side of the aggregator's REST API (aggregator-service/README.md): the OAuth2 client-credentials
 * token, heartbeats, the task long-poll, adapter downloads, update uploads and failure reports. One request per call;
 * retrying is the caller's choice. A 401 refreshes the token once; a refused token request is a {@link
 * CredentialsRejectedException}. Counts the bytes it moves each way.
 */
public final class AggregatorClient {

    private static final String PROBLEM_PREFIX = "urn:fedtune:problem:";

    private final URI server;
    private final Credentials credentials;
    private final HttpClient http;
    private final Duration requestTimeout;
    private final Clock clock;
    private final String userAgent;
    private final AtomicLong bytesUp = new AtomicLong();
    private final AtomicLong bytesDown = new AtomicLong();
    private String token;
    private Instant tokenExpiry = Instant.MIN;

    public AggregatorClient(Credentials credentials, Duration requestTimeout, Clock clock, String agentVersion) {
        this.server = credentials.server();
        this.credentials = credentials;
        this.http = newHttpClient();
        this.requestTimeout = requestTimeout;
        this.clock = clock;
        this.userAgent = "fedtune-agent/" + agentVersion;
    }

    static HttpClient newHttpClient() {
        return HttpClient.newBuilder()
                .connectTimeout(Duration.ofSeconds(10))
                .followRedirects(HttpClient.Redirect.NEVER)
                .build();
    }

    /**
     * Enrolls with a one-time enrollment token.
     *
     * @throws ServerException when the server refuses (e.g. 401 for an unknown, used or expired token)
     * @throws IOException when the server cannot be reached
     */
    public static EnrollmentResponse enroll(URI server, EnrollmentRequest request) throws IOException {
        HttpRequest http = HttpRequest.newBuilder(resolve(server, "/api/v1/agent/enroll"))
                .timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json")
                .header("Accept", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(AgentHome.JSON.writeValueAsString(request)))
                .build();
        HttpResponse<String> response = sendOnce(newHttpClient(), http);
        if (response.statusCode() != 201 && response.statusCode() != 200) {
            throw error("Enrollment", response.statusCode(), response.body());
        }
        return AgentHome.JSON.readValue(response.body(), EnrollmentResponse.class);
    }

    /** The server's base URL. */
    public URI server() {
        return server;
    }

    /** Bytes of request bodies sent so far. */
    public long bytesUp() {
        return bytesUp.get();
    }

    /** Bytes of response bodies received so far. */
    public long bytesDown() {
        return bytesDown.get();
    }

    /** A valid access token, fetched when none is cached or it expires within 30 s. */
    public synchronized String accessToken() throws IOException {
        if (token != null && clock.instant().isBefore(tokenExpiry.minusSeconds(30))) {
            return token;
        }
        String basic = Base64.getEncoder()
                .encodeToString((form(credentials.clientId().toString()) + ":" + form(credentials.clientSecret()))
                        .getBytes(StandardCharsets.UTF_8));
        HttpRequest request = HttpRequest.newBuilder(resolve(server, "/oauth2/token"))
                .timeout(requestTimeout)
                .header("Authorization", "Basic " + basic)
                .header("Content-Type", "application/x-www-form-urlencoded")
                .header("Accept", "application/json")
                .header("User-Agent", userAgent)
                .POST(HttpRequest.BodyPublishers.ofString("grant_type=client_credentials"))
                .build();
        HttpResponse<String> response = sendOnce(http, request);
        if (response.statusCode() == 401 || response.statusCode() == 400 || response.statusCode() == 403) {
            ServerException error = error("Token request", response.statusCode(), response.body());
            throw new CredentialsRejectedException("The server at " + server + " refuses this agent's credentials"
                    + " (client " + credentials.clientId() + "): " + error.getMessage()
                    + ". The client was revoked or is unknown; ask the federation's admin for a new enrollment token"
                    + " and run `fedtune-agent enroll` again.");
        }
        if (response.statusCode() != 200) {
            throw error("Token request", response.statusCode(), response.body());
        }
        TokenResponse answer = AgentHome.JSON.readValue(response.body(), TokenResponse.class);
        token = answer.accessToken();
        tokenExpiry = clock.instant().plusSeconds(Math.max(answer.expiresIn(), 1));
        return token;
    }

    private synchronized void forgetToken() {
        token = null;
        tokenExpiry = Instant.MIN;
    }

    /** Says the agent is alive; returns the federation's state and the server's clock. */
    public HeartbeatResponse heartbeat(HeartbeatRequest request) throws IOException {
        HttpResponse<String> response = authorized(
                "Heartbeat",
                base("/api/v1/agent/heartbeat", requestTimeout)
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(AgentHome.JSON.writeValueAsString(request))),
                HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
            throw error("Heartbeat", response.statusCode(), response.body());
        }
        return AgentHome.JSON.readValue(response.body(), HeartbeatResponse.class);
    }

    /** Waits up to {@code wait} for a task; empty when none came. */
    public Optional<TaskView> nextTask(Duration wait) throws IOException {
        HttpResponse<String> response = authorized(
                "Task poll",
                base("/api/v1/agent/tasks/next?wait=" + Math.max(1, wait.toSeconds()), wait.plus(requestTimeout))
                        .GET(),
                HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() == 204) {
            return Optional.empty();
        }
        if (response.statusCode() != 200) {
            throw error("Task poll", response.statusCode(), response.body());
        }
        return Optional.of(AgentHome.JSON.readValue(response.body(), TaskView.class));
    }

    /**
     * Downloads {@code path} into {@code part}, continuing after the bytes already there with a {@code Range}
     * request; a server that ignores the range sends everything and the file starts over.
     *
     * @return the {@code Fedtune-Sha256} the server announced, or null
     */
    public String download(String path, Path part) throws IOException {
        long have = Files.isRegularFile(part) ? Files.size(part) : 0;
        HttpRequest.Builder request = base(path, Duration.ofHours(2)).GET();
        if (have > 0) {
            request.header("Range", "bytes=" + have + "-");
        }
        HttpResponse<InputStream> response =
                authorized("Adapter download", request, HttpResponse.BodyHandlers.ofInputStream());
        try (InputStream body = response.body()) {
            int status = response.statusCode();
            if (status == 416) {
                return response.headers().firstValue("Fedtune-Sha256").orElse(null);
            }
            if (status != 200 && status != 206) {
                throw error("Adapter download", status, new String(body.readAllBytes(), StandardCharsets.UTF_8));
            }
            boolean append = status == 206;
            try (OutputStream out = Files.newOutputStream(
                    part,
                    StandardOpenOption.CREATE,
                    StandardOpenOption.WRITE,
                    append ? StandardOpenOption.APPEND : StandardOpenOption.TRUNCATE_EXISTING)) {
                AgentHome.restrict(part);
                byte[] buffer = new byte[1 << 16];
                int n;
                while ((n = body.read(buffer)) != -1) {
                    out.write(buffer, 0, n);
                    bytesDown.addAndGet(n);
                }
            }
            return response.headers().firstValue("Fedtune-Sha256").orElse(null);
        }
    }

    /** Uploads an encoded update; the same bytes again are accepted as a duplicate. */
    public UpdateReceipt upload(String path, Path body, UpdateMetadata metadata) throws IOException {
        long size = Files.size(body);
        HttpResponse<String> response = authorized(
                "Update upload",
                base(path, Duration.ofHours(1))
                        .header(UpdateMetadata.HEADER, AgentHome.JSON.writeValueAsString(metadata))
                        .header("Content-Type", "application/octet-stream")
                        .PUT(HttpRequest.BodyPublishers.ofFile(body)),
                HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 201 && response.statusCode() != 200) {
            throw error("Update upload", response.statusCode(), response.body());
        }
        bytesUp.addAndGet(size);
        return AgentHome.JSON.readValue(response.body(), UpdateReceipt.class);
    }

    /** Tells the aggregator this agent gives up its task, and why. */
    public void reportFailure(String path, FailureReport report) throws IOException {
        HttpResponse<String> response = authorized(
                "Failure report",
                base(path, requestTimeout)
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(AgentHome.JSON.writeValueAsString(report))),
                HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 204 && response.statusCode() != 200) {
            throw error("Failure report", response.statusCode(), response.body());
        }
    }

    private HttpRequest.Builder base(String path, Duration timeout) {
        return HttpRequest.newBuilder(resolve(server, path))
                .timeout(timeout)
                .header("Accept", "application/json, application/problem+json, application/octet-stream")
                .header("User-Agent", userAgent);
    }

    private <T> HttpResponse<T> authorized(
            String what, HttpRequest.Builder request, HttpResponse.BodyHandler<T> handler) throws IOException {
        HttpResponse<T> response = sendOnce(
                http,
                request.copy()
                        .header("Authorization", "Bearer " + accessToken())
                        .build(),
                handler);
        if (response.statusCode() != 401) {
            return response;
        }
        discard(response);
        forgetToken();
        response = sendOnce(
                http,
                request.copy()
                        .header("Authorization", "Bearer " + accessToken())
                        .build(),
                handler);
        if (response.statusCode() == 401) {
            String text = response.body() instanceof String s ? s : "";
            discard(response);
            ServerException error = error(what, 401, text);
            throw new CredentialsRejectedException("The server at " + server + " refuses this agent (client "
                    + credentials.clientId() + "): " + error.getMessage()
                    + ". Ask the federation's admin for a new enrollment token and run `fedtune-agent enroll` again.");
        }
        return response;
    }

    private static void discard(HttpResponse<?> response) {
        if (response.body() instanceof InputStream in) {
            try (in) {
                in.transferTo(OutputStream.nullOutputStream());
            } catch (IOException ignored) {
                // the connection is dropped instead
            }
        }
    }

    private static HttpResponse<String> sendOnce(HttpClient http, HttpRequest request) throws IOException {
        return sendOnce(http, request, HttpResponse.BodyHandlers.ofString());
    }

    private static <T> HttpResponse<T> sendOnce(
            HttpClient http, HttpRequest request, HttpResponse.BodyHandler<T> handler) throws IOException {
        try {
            return http.send(request, handler);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted while calling " + request.uri());
        }
    }

    static URI resolve(URI server, String path) {
        if (path.startsWith("http://") || path.startsWith("https://")) {
            URI absolute = URI.create(path);
            // The agent's bearer token goes with these requests: never to another origin than the enrolled server.
            if (!absolute.getScheme().equalsIgnoreCase(server.getScheme())
                    || !String.valueOf(absolute.getHost()).equalsIgnoreCase(String.valueOf(server.getHost()))
                    || effectivePort(absolute) != effectivePort(server)) {
                throw new IllegalArgumentException("The server named " + absolute.getScheme() + "://"
                        + absolute.getAuthority() + " for a request, which is not the enrolled server " + server
                        + "; refusing to send this agent's token there");
            }
            return absolute;
        }
        String base = server.toString();
        while (base.endsWith("/")) {
            base = base.substring(0, base.length() - 1);
        }
        return URI.create(base + (path.startsWith("/") ? path : "/" + path));
    }

    private static int effectivePort(URI uri) {
        return uri.getPort() >= 0 ? uri.getPort() : "https".equalsIgnoreCase(uri.getScheme()) ? 443 : 80;
    }

    private static String form(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }

    /** A {@link ServerException} from an error response, with the ProblemDetail's slug and detail when present. */
    static ServerException error(String what, int status, String body) {
        String type = null;
        String detail = body == null ? null : body.length() > 500 ? body.substring(0, 500) : body;
        if (body != null && body.startsWith("{")) {
            try {
                JsonNode problem = AgentHome.JSON.readTree(body);
                JsonNode t = problem.get("type");
                if (t != null && t.isString() && t.asString().startsWith(PROBLEM_PREFIX)) {
                    type = t.asString().substring(PROBLEM_PREFIX.length());
                }
                JsonNode d = problem.get("detail");
                if (d != null && d.isString()) {
                    detail = d.asString();
                } else if (problem.get("error_description") != null) {
                    detail = problem.get("error_description").asString();
                }
            } catch (RuntimeException ignored) {
                // not JSON after all: keep the text
            }
        }
        return new ServerException(what, status, type, detail);
    }
}
