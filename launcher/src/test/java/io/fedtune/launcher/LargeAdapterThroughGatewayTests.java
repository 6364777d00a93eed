package io.fedtune.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import io.fedtune.gateway.GatewayApplication;
import io.fedtune.protocol.api.registry.AdapterMethod;
import io.fedtune.protocol.api.registry.AdapterPeftConfig;
import io.fedtune.protocol.api.registry.AdapterVersionRegistration;
import io.fedtune.protocol.api.registry.RegistryApi;
import io.fedtune.protocol.checksum.ContentDigest;
import io.fedtune.protocol.peft.PeftKeys;
import io.fedtune.protocol.safetensors.DType;
import io.fedtune.protocol.safetensors.SafetensorsWriter;
import io.fedtune.registry.RegistryApplication;
import io.fedtune.testsupport.ChildJvm;
import io.fedtune.testsupport.ServiceChecks;
import io.fedtune.testsupport.TestDatabase;
import io.fedtune.testsupport.TestDatabases;
import io.fedtune.testsupport.TestTokens;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.SequenceInputStream;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.context.ConfigurableApplicationContext;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Issue 7's acceptance, for real: a valid ~200 MB PEFT LoRA adapter is registered through a gateway whose heap is
 * capped at 128 MB ({@code -Xmx128m}, its own JVM, exiting on the first OutOfMemoryError) into the real model
 * registry on real PostgreSQL, which checks every tensor as it streams past, and is downloaded back through the same
 * gateway byte for byte. The test itself streams everything: the adapter is written to disk from a 256 KB array, sent
 * as a multipart body read from the file, and hashed as it comes down.
 */
class LargeAdapterThroughGatewayTests {

    /** LoRA rank, and the width of every adapted module: each lora_A [r, in] and lora_B [out, r] is 256 KiB of F32. */
    static final int RANK = 16;

    static final int WIDTH = 4096;
    static final List<String> TARGETS = List.of("q_proj", "k_proj", "v_proj", "o_proj");
    /** 100 layers × 4 modules × 2 tensors × 256 KiB = 200 MiB of tensor data. */
    static final int LAYERS = 100;

    static final JsonMapper json = JsonMapper.builder().build();
    static final TestTokens tokens = TestTokens.shared();

    static TestDatabase database;
    static ConfigurableApplicationContext registry;
    static ChildJvm gateway;
    static String gatewayUrl;
    static Path gatewayLog;

    @BeforeAll
    static void realRegistryBehindAGatewayWithA128MegabyteHeap(@TempDir Path home) throws Exception {
        database = TestDatabases.create();
        List<String> common = List.of(
                "--spring.datasource.url=" + database.jdbcUrl(),
                "--spring.datasource.username=" + database.username(),
                "--spring.datasource.password=" + database.password(),
                "--fedtune.home=" + home,
                "--fedtune.security.issuer-uri=" + tokens.issuerUri(),
                "--spring.main.banner-mode=off");
        List<String> registryArgs = new ArrayList<>(common);
        registryArgs.add("--spring.cloud.gateway.server.webflux.enabled=false");
        registryArgs.add("--server.port=0");
        registry = RegistryApplication.builder().registerShutdownHook(false).run(registryArgs.toArray(String[]::new));
        String registryUrl = "http://localhost:" + registry.getEnvironment().getProperty("local.server.port");

        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        gatewayUrl = "http://127.0.0.1:" + port;
        gatewayLog = home.resolve("gateway.log");
        List<String> args = new ArrayList<>(List.of(
                "--server.port=" + port,
                "--fedtune.gateway.registry-uri=" + registryUrl,
                // nothing here calls the aggregator; its routes point at the registry, which answers them 404
                "--fedtune.gateway.aggregator-uri=" + registryUrl,
                "--logging.level.io.fedtune.gateway.access=WARN"));
        args.addAll(common);
        gateway = ChildJvm.start("128m", List.of(), GatewayApplication.class, args, gatewayLog);
        gateway.awaitReady(gatewayUrl + "/actuator/health/readiness", Duration.ofSeconds(120));
    }

    @AfterAll
    static void stop() throws Exception {
        if (gateway != null) {
            gateway.close();
        }
        if (registry != null) {
            registry.close();
        }
        if (database != null) {
            database.close();
        }
    }

    @Test
    void aTwoHundredMegabyteAdapterIsRegisteredAndDownloadedThroughAGatewayWith128MegabytesOfHeap(@TempDir Path work)
            throws Exception {
        Path adapter = work.resolve("adapter.safetensors");
        ContentDigest written = writeAdapter(adapter);
        assertThat(Files.size(adapter)).isEqualTo(written.byteCount()).isGreaterThan(200L * 1024 * 1024);

        UUID federation = UUID.randomUUID();
        String metadata = json.writeValueAsString(new AdapterVersionRegistration(
                0,
                0,
                null,
                "large-adapter",
                "llama-large",
                new AdapterPeftConfig(AdapterMethod.LORA, RANK, 32, 0, false, TARGETS, 0, "fedit"),
                "fedavg",
                null,
                null,
                written.sha256(),
                written.byteCount()));
        HttpClient http = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5))
                .build();
        String token = tokens.service();
        String versions = gatewayUrl + RegistryApi.ADAPTERS + "/" + federation + "/versions";

        Multipart body = Multipart.of(metadata, adapter);
        long upStarted = System.nanoTime();
        HttpResponse<String> up = http.send(
                HttpRequest.newBuilder(URI.create(versions))
                        .header("Authorization", "Bearer " + token)
                        .header("Content-Type", body.contentType())
                        .POST(HttpRequest.BodyPublishers.fromPublisher(
                                HttpRequest.BodyPublishers.ofInputStream(body::open), body.length()))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        double upSeconds = (System.nanoTime() - upStarted) / 1e9;
        assertThat(up.statusCode()).as(up.body()).isEqualTo(201);
        JsonNode registered = json.readTree(up.body());
        assertThat(registered.get("sha256").asString()).isEqualTo(written.sha256());
        assertThat(registered.get("sizeBytes").asLong()).isEqualTo(written.byteCount());

        HttpResponse<String> view = http.send(
                HttpRequest.newBuilder(URI.create(versions + "/0"))
                        .header("Authorization", "Bearer " + token)
                        .GET()
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(view.statusCode()).as(view.body()).isEqualTo(200);
        assertThat(json.readTree(view.body()).get("sizeBytes").asLong()).isEqualTo(written.byteCount());

        long downStarted = System.nanoTime();
        HttpResponse<InputStream> down = http.send(
                HttpRequest.newBuilder(URI.create(versions + "/0/adapter.safetensors"))
                        .header("Authorization", "Bearer " + token)
                        .GET()
                        .build(),
                HttpResponse.BodyHandlers.ofInputStream());
        String received;
        long receivedBytes;
        try (InputStream content = down.body()) {
            assertThat(down.statusCode()).isEqualTo(200);
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            try (DigestInputStream digesting = new DigestInputStream(content, sha)) {
                receivedBytes = digesting.transferTo(OutputStream.nullOutputStream());
            }
            received = HexFormat.of().formatHex(sha.digest());
        }
        double downSeconds = (System.nanoTime() - downStarted) / 1e9;
        assertThat(down.headers().firstValueAsLong("Content-Length")).hasValue(written.byteCount());
        assertThat(receivedBytes).isEqualTo(written.byteCount());
        assertThat(received).isEqualTo(written.sha256());

        assertThat(gateway.isAlive())
                .as("gateway survived; its log: " + gatewayLog)
                .isTrue();
        assertThat(heapMaxOfGateway()).isLessThanOrEqualTo(128L * 1024 * 1024);
        double megabytes = written.byteCount() / 1e6;
        System.out.println(String.format(
                Locale.ROOT,
                "%.1f MB adapter through the gateway at -Xmx128m to the real registry: up %.1f MB/s (%.2f s),"
                        + " down %.1f MB/s (%.2f s)",
                megabytes,
                megabytes / upSeconds,
                upSeconds,
                megabytes / downSeconds,
                downSeconds));
    }

    /**
     * A valid PEFT LoRA adapter written straight to disk: every tensor is a 64 Ki-float window of one small array,
     * shifted by one element per tensor so that no two tensors are alike, all finite.
     */
    static ContentDigest writeAdapter(Path file) throws IOException {
        int elements = RANK * WIDTH;
        int tensors = LAYERS * TARGETS.size() * 2;
        float[] values = new float[elements + tensors];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) Math.sin(i * 0.001) * 0.01f;
        }
        SafetensorsWriter writer = new SafetensorsWriter().metadata("format", "pt");
        int window = 0;
        for (int layer = 0; layer < LAYERS; layer++) {
            for (String target : TARGETS) {
                String module = "model.layers." + layer + ".self_attn." + target;
                writer.addFloats(
                        PeftKeys.loraA(module),
                        DType.F32,
                        new long[] {RANK, WIDTH},
                        FloatBuffer.wrap(values, window++, elements).slice());
                writer.addFloats(
                        PeftKeys.loraB(module),
                        DType.F32,
                        new long[] {WIDTH, RANK},
                        FloatBuffer.wrap(values, window++, elements).slice());
            }
        }
        return writer.writeTo(file);
    }

    /** A two-part multipart/form-data body, the metadata JSON then the adapter file, read from disk when sent. */
    record Multipart(String boundary, byte[] head, Path file, byte[] tail) {

        static Multipart of(String metadata, Path file) {
            String boundary = "fedtune-" + UUID.randomUUID();
            String head = "--" + boundary + "\r\n"
                    + "Content-Disposition: form-data; name=\"" + RegistryApi.METADATA_PART + "\"\r\n"
                    + "Content-Type: application/json\r\n\r\n"
                    + metadata + "\r\n"
                    + "--" + boundary + "\r\n"
                    + "Content-Disposition: form-data; name=\"" + RegistryApi.ADAPTER_PART
                    + "\"; filename=\"adapter.safetensors\"\r\n"
                    + "Content-Type: application/octet-stream\r\n\r\n";
            String tail = "\r\n--" + boundary + "--\r\n";
            return new Multipart(
                    boundary, head.getBytes(StandardCharsets.UTF_8), file, tail.getBytes(StandardCharsets.UTF_8));
        }

        String contentType() {
            return "multipart/form-data; boundary=" + boundary;
        }

        long length() {
            try {
                return head.length + Files.size(file) + tail.length;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        InputStream open() {
            try {
                return new SequenceInputStream(Collections.enumeration(List.of(
                        new ByteArrayInputStream(head), Files.newInputStream(file), new ByteArrayInputStream(tail))));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    /** The gateway's own report of its heap ceiling, so the test knows the cap held. */
    private static long heapMaxOfGateway() throws IOException {
        String metrics = ServiceChecks.get(gatewayUrl + "/actuator/prometheus").body();
        long total = 0;
        for (String line : metrics.lines().toList()) {
            if (line.startsWith("jvm_memory_max_bytes{") && line.contains("area=\"heap\"")) {
                double value = Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
                if (value > 0) {
                    total += (long) value;
                }
            }
        }
        assertThat(total)
                .as("heap pools in " + Files.size(gatewayLog) + " bytes of log")
                .isPositive();
        return total;
    }
}
