package io.fedtune.launcher;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

/**
 * An HTTP proxy between agents and the platform that records every request the agents send (line, headers and
 * body) and can misbehave on cue: answer 503 instead of forwarding, or flip a byte of an adapter download.
 */
final class RecordingProxy implements AutoCloseable {

    /** One request as it left an agent. */
    record Captured(String method, String path, Map<String, List<String>> headers, byte[] body) {

        /** Everything the agent sent, as text (bodies are decoded as UTF-8, lossy for binary). */
        String asText() {
            return method + " " + path + "\n" + headers + "\n" + new String(body, StandardCharsets.UTF_8);
        }
    }

    private static final Set<String> HOP_BY_HOP = Set.of(
            "connection", "content-length", "host", "transfer-encoding", "upgrade", "expect", "keep-alive", "te");

    private final URI target;
    private final HttpServer server;
    private final ExecutorService executor = Executors.newCachedThreadPool();
    private final HttpClient http = HttpClient.newBuilder()
            .connectTimeout(Duration.ofSeconds(5))
            .version(HttpClient.Version.HTTP_1_1)
            .build();
    final List<Captured> captured = new CopyOnWriteArrayList<>();
    private final Map<Predicate<String>, AtomicInteger> failures = new ConcurrentHashMap<>();
    private final AtomicInteger corruptions = new AtomicInteger();
    final AtomicInteger injectedFailures = new AtomicInteger();

    RecordingProxy(String targetUrl) throws IOException {
        this.target = URI.create(targetUrl);
        this.server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 64);
        server.createContext("/", this::handle);
        server.setExecutor(executor);
        server.start();
    }

    String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    /** Answers the next {@code count} requests whose path matches with 503. */
    void failNext(Predicate<String> path, int count) {
        failures.put(path, new AtomicInteger(count));
    }

    /** Flips a byte in the next {@code count} adapter downloads. */
    void corruptNextDownloads(int count) {
        corruptions.set(count);
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String pathAndQuery = exchange.getRequestURI().getRawPath()
                    + (exchange.getRequestURI().getRawQuery() == null
                            ? ""
                            : "?" + exchange.getRequestURI().getRawQuery());
            byte[] body;
            try (InputStream in = exchange.getRequestBody()) {
                body = in.readAllBytes();
            }
            Map<String, List<String>> headers = new java.util.TreeMap<>(String.CASE_INSENSITIVE_ORDER);
            headers.putAll(exchange.getRequestHeaders());
            captured.add(new Captured(
                    exchange.getRequestMethod(), pathAndQuery, java.util.Collections.unmodifiableMap(headers), body));
            for (Map.Entry<Predicate<String>, AtomicInteger> failure : failures.entrySet()) {
                if (failure.getKey().test(pathAndQuery) && failure.getValue().getAndDecrement() > 0) {
                    injectedFailures.incrementAndGet();
                    byte[] problem = "{\"type\":\"about:blank\",\"status\":503,\"detail\":\"injected by the test\"}"
                            .getBytes(StandardCharsets.UTF_8);
                    exchange.getResponseHeaders().set("Content-Type", "application/problem+json");
                    exchange.sendResponseHeaders(503, problem.length);
                    exchange.getResponseBody().write(problem);
                    return;
                }
            }
            HttpRequest.Builder request = HttpRequest.newBuilder(target.resolve(pathAndQuery))
                    .timeout(Duration.ofMinutes(2))
                    .method(
                            exchange.getRequestMethod(),
                            body.length == 0
                                    ? HttpRequest.BodyPublishers.noBody()
                                    : HttpRequest.BodyPublishers.ofByteArray(body));
            exchange.getRequestHeaders().forEach((name, values) -> {
                if (!HOP_BY_HOP.contains(name.toLowerCase(Locale.ROOT))) {
                    values.forEach(value -> request.header(name, value));
                }
            });
            HttpResponse<byte[]> response;
            try {
                response = http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                exchange.sendResponseHeaders(502, -1);
                return;
            }
            byte[] answer = response.body();
            if (pathAndQuery.contains("/adapters/")
                    && exchange.getRequestMethod().equals("GET")
                    && response.statusCode() == 200
                    && answer.length > 0
                    && corruptions.getAndDecrement() > 0) {
                answer = answer.clone();
                answer[answer.length - 1] ^= 0x55;
            }
            response.headers().map().forEach((name, values) -> {
                if (!HOP_BY_HOP.contains(name.toLowerCase(Locale.ROOT)) && !name.startsWith(":")) {
                    values.forEach(value -> exchange.getResponseHeaders().add(name, value));
                }
            });
            boolean empty = answer.length == 0;
            exchange.sendResponseHeaders(response.statusCode(), empty ? -1 : answer.length);
            if (!empty) {
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(answer);
                }
            }
        }
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
