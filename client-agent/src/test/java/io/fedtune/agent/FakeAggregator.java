package io.fedtune.agent;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.fedtune.agent.home.AgentHome;
import io.fedtune.protocol.api.AdapterView;
import io.fedtune.protocol.api.CodecSpec;
import io.fedtune.protocol.api.FailureReport;
import io.fedtune.protocol.api.FederationStatus;
import io.fedtune.protocol.api.HeartbeatResponse;
import io.fedtune.protocol.api.LoraMode;
import io.fedtune.protocol.api.PeftMethod;
import io.fedtune.protocol.api.PeftSpec;
import io.fedtune.protocol.api.PrivacySpec;
import io.fedtune.protocol.api.TargetModule;
import io.fedtune.protocol.api.TaskView;
import io.fedtune.protocol.api.TrainingSpec;
import io.fedtune.protocol.api.UpdateMetadata;
import io.fedtune.protocol.api.UpdateReceipt;
import io.fedtune.protocol.checksum.Sha256;
import io.fedtune.protocol.safetensors.FloatTensor;
import io.fedtune.protocol.safetensors.SafetensorsWriter;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A scripted stand-in for the aggregator's agent API, for the failure modes a real one will not produce on cue:
 * server errors, revoked credentials, corrupted downloads.
 */
final class FakeAggregator implements AutoCloseable {

    final UUID federationId = UUID.randomUUID();
    final UUID clientId = UUID.randomUUID();
    final HttpServer server;
    final Map<String, FloatTensor> global = new TreeMap<>();
    final byte[] adapterBytes;
    final String adapterSha;

    volatile boolean revoked;
    volatile int tokenLifetimeSeconds = 300;
    volatile int expiredTokenAnswersLeft;
    final java.util.Set<String> tokensIssued = java.util.concurrent.ConcurrentHashMap.newKeySet();
    volatile int pollErrorsLeft;
    volatile int corruptDownloadsLeft;
    /** Downloads that send half the adapter, run {@link #beforeCut}, then drop the connection. */
    volatile int cutDownloadsLeft;

    volatile Runnable beforeCut = () -> {};
    volatile int uploadErrorsLeft;
    volatile boolean taskOffered = true;
    volatile PrivacySpec privacy = PrivacySpec.none();
    volatile LoraMode loraMode = LoraMode.FEDIT;
    volatile CodecSpec codec = CodecSpec.defaults();
    volatile FederationStatus status = FederationStatus.RUNNING;

    final AtomicInteger tokenRequests = new AtomicInteger();
    final AtomicInteger polls = new AtomicInteger();
    final AtomicInteger downloads = new AtomicInteger();
    /** The {@code Range} header of each download request, "none" when it had none. */
    final List<String> downloadRanges = new CopyOnWriteArrayList<>();

    final AtomicInteger uploadAttempts = new AtomicInteger();
    final List<UpdateMetadata> uploads = new CopyOnWriteArrayList<>();
    final List<byte[]> uploadBodies = new CopyOnWriteArrayList<>();
    final List<FailureReport> failures = new CopyOnWriteArrayList<>();

    final PeftSpec peft;
    final TrainingSpec training;

    FakeAggregator() throws IOException {
        this(
                Map.of(
                        "base_model.model.layers.0.q.lora_A.weight", tensor(4, 8, 0.1f),
                        "base_model.model.layers.0.q.lora_B.weight", tensor(8, 4, 0f)),
                new PeftSpec(PeftMethod.LORA, 4, 8, 0, false, null, List.of(new TargetModule("layers.0.q", 8, 8)), 0),
                new TrainingSpec(1, 3, 2, 1e-3, 0, 64, 0, 0));
    }

    /** A federation whose tasks carry this global adapter, PEFT spec and training spec. */
    FakeAggregator(Map<String, FloatTensor> global, PeftSpec peft, TrainingSpec training) throws IOException {
        this.global.putAll(global);
        this.peft = peft;
        this.training = training;
        SafetensorsWriter writer = new SafetensorsWriter();
        this.global.forEach(writer::add);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        writer.writeTo(out);
        adapterBytes = out.toByteArray();
        adapterSha = Sha256.hex(adapterBytes);
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", this::handle);
        server.start();
    }

    static FloatTensor tensor(int rows, int cols, float value) {
        float[] v = new float[rows * cols];
        java.util.Arrays.fill(v, value);
        return FloatTensor.of(v, rows, cols);
    }

    URI uri() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    TaskView task() {
        String round = "/api/v1/agent/federations/" + federationId + "/rounds/1";
        return new TaskView(
                federationId,
                1,
                1,
                new AdapterView(
                        federationId,
                        0,
                        4,
                        adapterSha,
                        adapterBytes.length,
                        "/api/v1/agent/federations/" + federationId + "/adapters/0",
                        null,
                        Instant.now()),
                peft,
                training,
                loraMode,
                codec,
                Instant.now().plusSeconds(600),
                11,
                round + "/update",
                round + "/failure",
                privacy);
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String path = exchange.getRequestURI().getPath();
            byte[] body = exchange.getRequestBody().readAllBytes();
            if (path.equals("/api/v1/agent/enroll")) {
                if (new String(body, StandardCharsets.UTF_8).contains("\"token\":\"bad\"")) {
                    problem(exchange, 401, "invalid-enrollment-token", "Unknown, used or expired enrollment token");
                } else {
                    json(
                            exchange,
                            201,
                            new io.fedtune.protocol.api.EnrollmentResponse(
                                    clientId, "s3cret", federationId, uri().toString(), uri() + "/oauth2/token"));
                }
                return;
            }
            if (path.equals("/oauth2/token")) {
                tokenRequests.incrementAndGet();
                if (revoked) {
                    problem(exchange, 401, "invalid-client", "Unknown client, wrong secret, or a revoked client");
                } else {
                    String token = "t" + tokenRequests.get();
                    tokensIssued.add(token);
                    json(
                            exchange,
                            200,
                            Map.of("access_token", token, "token_type", "Bearer", "expires_in", tokenLifetimeSeconds));
                }
                return;
            }
            if (revoked) {
                problem(exchange, 401, "client-revoked", "Client " + clientId + " is revoked");
                return;
            }
            if (expiredTokenAnswersLeft > 0) {
                expiredTokenAnswersLeft--;
                problem(exchange, 401, "unauthorized", "Jwt expired");
                return;
            }
            if (path.equals("/api/v1/agent/heartbeat")) {
                json(exchange, 200, new HeartbeatResponse(clientId, federationId, status, Instant.now(), 30));
            } else if (path.equals("/api/v1/agent/tasks/next")) {
                polls.incrementAndGet();
                if (pollErrorsLeft > 0) {
                    pollErrorsLeft--;
                    problem(exchange, 503, "unavailable", "down for maintenance");
                } else if (taskOffered) {
                    json(exchange, 200, task());
                } else {
                    exchange.sendResponseHeaders(204, -1);
                }
            } else if (path.endsWith("/adapters/0")) {
                downloads.incrementAndGet();
                byte[] bytes = adapterBytes.clone();
                if (corruptDownloadsLeft > 0) {
                    corruptDownloadsLeft--;
                    bytes[bytes.length - 1] ^= 0x55;
                }
                exchange.getResponseHeaders().set("Fedtune-Sha256", adapterSha);
                String range = exchange.getRequestHeaders().getFirst("Range");
                downloadRanges.add(range == null ? "none" : range);
                if (range != null && range.matches("bytes=\\d+-")) {
                    int from = Integer.parseInt(range.substring("bytes=".length(), range.length() - 1));
                    exchange.getResponseHeaders()
                            .set("Content-Range", "bytes " + from + "-" + (bytes.length - 1) + "/" + bytes.length);
                    exchange.sendResponseHeaders(206, bytes.length - from);
                    try (OutputStream out = exchange.getResponseBody()) {
                        out.write(bytes, from, bytes.length - from);
                    }
                    return;
                }
                exchange.sendResponseHeaders(200, bytes.length);
                if (cutDownloadsLeft > 0) {
                    cutDownloadsLeft--;
                    OutputStream out = exchange.getResponseBody();
                    out.write(bytes, 0, bytes.length / 2);
                    out.flush();
                    beforeCut.run();
                    // closing a fixed-length response before its end drops the connection
                    return;
                }
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(bytes);
                }
            } else if (path.endsWith("/update")) {
                uploadAttempts.incrementAndGet();
                if (uploadErrorsLeft > 0) {
                    uploadErrorsLeft--;
                    problem(exchange, 502, "bad-gateway", "upstream away");
                    return;
                }
                UpdateMetadata metadata = AgentHome.JSON.readValue(
                        exchange.getRequestHeaders().getFirst(UpdateMetadata.HEADER), UpdateMetadata.class);
                uploads.add(metadata);
                uploadBodies.add(body);
                taskOffered = false;
                json(
                        exchange,
                        201,
                        new UpdateReceipt(
                                federationId, 1, clientId, Sha256.hex(body), body.length, Instant.now(), false));
            } else if (path.endsWith("/failure")) {
                failures.add(AgentHome.JSON.readValue(body, FailureReport.class));
                taskOffered = false;
                exchange.sendResponseHeaders(204, -1);
            } else {
                problem(exchange, 404, "not-found", path);
            }
        } catch (RuntimeException e) {
            throw new UncheckedIOException(new IOException(e));
        }
    }

    private static void json(HttpExchange exchange, int status, Object value) throws IOException {
        byte[] bytes = AgentHome.JSON.writeValueAsBytes(value);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    private static void problem(HttpExchange exchange, int status, String slug, String detail) throws IOException {
        byte[] bytes = ("{\"type\":\"urn:fedtune:problem:" + slug + "\",\"status\":" + status + ",\"detail\":\""
                        + detail + "\"}")
                .getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/problem+json");
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
