package io.fedtune.gateway;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsExchange;
import com.sun.net.httpserver.HttpsServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import javax.net.ssl.SSLContext;

/**
 * A small real HTTP service for the gateway to route to, standing in for a fedtune service in the gateway's own tests
 * (the launcher's tests put the gateway in front of the real services). It answers by path:
 *
 * <ul>
 *   <li>{@code …/slow}: waits 3 s before answering
 *   <li>{@code …/hangup}: closes the connection without an answer
 *   <li>{@code …/blob} with a body: streams it through SHA-256 and answers {@code {"bytes":n,"sha256":"…"}}
 *   <li>{@code …/blob?bytes=n} GET: streams n deterministic bytes ({@link PatternStream})
 *   <li>{@code /v3/api-docs}: a small OpenAPI document
 *   <li>anything else: echoes what it received as JSON (and whether it came over TLS), and echoes {@code X-Correlation-Id} as the services do
 * </ul>
 */
public final class TestUpstream implements AutoCloseable {

    private final String name;
    private final HttpServer server;
    private final ExecutorService executor = Executors.newCachedThreadPool();

    static {
        // Without it the JDK server's small writes meet delayed ACKs: 40 ms per response.
        System.setProperty("sun.net.httpserver.nodelay", "true");
    }

    private TestUpstream(String name, SSLContext tls) throws IOException {
        this.name = name;
        InetSocketAddress loopback = new InetSocketAddress("127.0.0.1", 0);
        if (tls == null) {
            this.server = HttpServer.create(loopback, 50);
        } else {
            HttpsServer https = HttpsServer.create(loopback, 50);
            https.setHttpsConfigurator(new HttpsConfigurator(tls));
            this.server = https;
        }
        server.createContext("/", this::handle);
        server.setExecutor(executor);
        server.start();
    }

    public static TestUpstream start(String name) {
        return start(name, null);
    }

    /** An upstream that speaks only HTTPS, presenting the certificate of the given context. */
    public static TestUpstream startHttps(String name, SSLContext tls) {
        return start(name, tls);
    }

    private static TestUpstream start(String name, SSLContext tls) {
        try {
            return new TestUpstream(name, tls);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Its base URL; an HTTPS upstream is addressed by name, as the services are, so the host name is verified. */
    public String url() {
        int port = server.getAddress().getPort();
        return server instanceof HttpsServer ? "https://localhost:" + port : "http://127.0.0.1:" + port;
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String path = exchange.getRequestURI().getPath();
            String query = exchange.getRequestURI().getQuery();
            String correlation = exchange.getRequestHeaders().getFirst("X-Correlation-Id");
            if (correlation != null) {
                exchange.getResponseHeaders().set("X-Correlation-Id", correlation);
            }
            if (path.endsWith("/slow")) {
                sleep(3000);
                respond(exchange, 200, "application/json", "{\"slow\":true}");
            } else if (path.endsWith("/hangup")) {
                exchange.getRequestBody().readAllBytes();
                // closing without a status line makes the gateway see a premature close
            } else if (path.endsWith("/blob") && "GET".equals(exchange.getRequestMethod())) {
                long bytes = Long.parseLong(query.substring(query.indexOf('=') + 1));
                exchange.getResponseHeaders().set("Content-Type", "application/octet-stream");
                exchange.sendResponseHeaders(200, bytes);
                try (InputStream in = new PatternStream(bytes);
                        OutputStream out = exchange.getResponseBody()) {
                    in.transferTo(out);
                }
            } else if (path.endsWith("/blob")) {
                MessageDigest sha = sha256();
                long bytes;
                try (InputStream in = exchange.getRequestBody();
                        DigestOutputStream out = new DigestOutputStream(OutputStream.nullOutputStream(), sha)) {
                    bytes = in.transferTo(out);
                }
                respond(
                        exchange,
                        201,
                        "application/json",
                        "{\"bytes\":" + bytes + ",\"sha256\":\""
                                + HexFormat.of().formatHex(sha.digest()) + "\"}");
            } else if (path.equals("/v3/api-docs")) {
                respond(
                        exchange,
                        200,
                        "application/json",
                        "{\"openapi\":\"3.1.0\",\"info\":{\"title\":\"" + name + "\",\"version\":\"1\"},"
                                + "\"servers\":[{\"url\":\"http://" + name + ".internal:8081\"}],\"paths\":{}}");
            } else {
                byte[] body = exchange.getRequestBody().readAllBytes();
                String authorization = exchange.getRequestHeaders().getFirst("Authorization");
                respond(
                        exchange,
                        200,
                        "application/json",
                        "{\"service\":\"" + name + "\",\"method\":\"" + exchange.getRequestMethod()
                                + "\",\"path\":\"" + path + "\",\"correlationId\":\"" + correlation
                                + "\",\"tls\":" + (exchange instanceof HttpsExchange)
                                + ",\"bearer\":" + (authorization != null && authorization.startsWith("Bearer "))
                                + ",\"bodyBytes\":" + body.length + "}");
            }
        }
    }

    private static void respond(HttpExchange exchange, int status, String type, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", type);
        exchange.sendResponseHeaders(status, bytes.length);
        exchange.getResponseBody().write(bytes);
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }

    /** Deterministic bytes of a given length, generated as they are read (nothing held in memory). */
    public static final class PatternStream extends InputStream {

        private final long length;
        private long position;

        public PatternStream(long length) {
            this.length = length;
        }

        @Override
        public int read() {
            if (position >= length) {
                return -1;
            }
            return byteAt(position++);
        }

        @Override
        public int read(byte[] buffer, int offset, int count) {
            if (position >= length) {
                return -1;
            }
            int n = (int) Math.min(count, length - position);
            for (int i = 0; i < n; i++) {
                buffer[offset + i] = (byte) byteAt(position + i);
            }
            position += n;
            return n;
        }

        private static int byteAt(long index) {
            long mixed = index * 0x9E3779B97F4A7C15L;
            return (int) ((mixed >>> 56) ^ (index & 0xFF)) & 0xFF;
        }
    }
}
