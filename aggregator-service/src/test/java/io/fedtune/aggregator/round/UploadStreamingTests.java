package io.fedtune.aggregator.round;

import static io.fedtune.aggregator.round.Api.read;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fedtune.aggregator.AggregatorApplication;
import io.fedtune.aggregator.aggregation.AdapterLayout;
import io.fedtune.aggregator.aggregation.SafetensorsHeader;
import io.fedtune.aggregator.aggregation.TensorSpec;
import io.fedtune.protocol.api.BaseModelSpec;
import io.fedtune.protocol.api.ClientSelection;
import io.fedtune.protocol.api.FederationConfig;
import io.fedtune.protocol.api.LoraMode;
import io.fedtune.protocol.api.PeftMethod;
import io.fedtune.protocol.api.PeftSpec;
import io.fedtune.protocol.api.RoundPolicy;
import io.fedtune.protocol.api.StrategySpec;
import io.fedtune.protocol.api.TargetModule;
import io.fedtune.protocol.api.TrainingSpec;
import io.fedtune.protocol.api.UpdateCodec;
import io.fedtune.protocol.api.UpdateMetadata;
import io.fedtune.testsupport.ChildJvm;
import io.fedtune.testsupport.TestDatabase;
import io.fedtune.testsupport.TestDatabases;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * Uploads stream to storage and are never whole in heap: the aggregator runs as a child JVM under a {@value #HEAP}
 * heap, accepts and checks a 256 MiB update that the test streams from a generator, averages it into the next global
 * adapter, and serves that adapter back value for value; neither JVM ever holds the update whole.
 */
class UploadStreamingTests {

    /**
     * Well below the 256 MiB update (a body buffered whole, or even half of one, does not fit); the service boots and
     * goes through this test in half of it.
     */
    static final String HEAP = "96m";

    /** 64 modules of 4096 × 4096 at rank 128: A and B are 128 × 4096 each, 256 MiB of F32 in all. */
    static final int MODULES = 64;

    static final int WIDTH = 4096;
    static final int RANK = 128;

    @Test
    void anUpdateLargerThanTheServicesHeapIsAcceptedCheckedAndAveraged(@TempDir Path directory) throws Exception {
        FederationConfig config = config();
        List<TensorSpec> specs = AdapterLayout.of(config).globalTensors(RANK);
        GeneratedUpdate update = new GeneratedUpdate(specs);
        assertThat(update.length()).isGreaterThan(256L << 20);

        try (TestDatabase database = TestDatabases.create();
                ChildJvm service = startService(directory, database)) {
            try {
                uploadAndAggregate(config, update, service);
            } catch (Throwable failure) {
                throw new AssertionError(failure + "\nThe service's log:\n" + tail(service.output()), failure);
            }
        }
    }

    private static void uploadAndAggregate(FederationConfig config, GeneratedUpdate update, ChildJvm service)
            throws Exception {
        Api api = new Api(awaitReady(service));
        UUID federation = api.createAndStart(config);
        Api.Agent agent = api.enroll(api.enrollmentToken(federation, 1), "big-update");
        agent.heartbeat();
        int round = awaitTask(agent, service);

        String sha256 = update.sha256();
        UpdateMetadata metadata =
                new UpdateMetadata(100, sha256, UpdateCodec.F32, round - 1, Map.of("train_loss", 0.5), 5);
        HttpResponse<String> response = HttpClient.newHttpClient()
                .send(
                        agent.api()
                                .request(
                                        "/api/v1/agent/federations/" + federation + "/rounds/" + round + "/update",
                                        agent.token())
                                .timeout(Duration.ofMinutes(5))
                                .header(UpdateMetadata.HEADER, Api.json.writeValueAsString(metadata))
                                .header("Content-Type", "application/octet-stream")
                                .PUT(HttpRequest.BodyPublishers.fromPublisher(
                                        HttpRequest.BodyPublishers.ofInputStream(update::open), update.length()))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());

        JsonNode receipt = read(response, 201);
        assertThat(receipt.get("sha256").asString()).isEqualTo(sha256);
        assertThat(receipt.get("sizeBytes").asLong()).isEqualTo(update.length());
        assertThat(service.isAlive()).as("the service is running").isTrue();

        // one client of one: the round closes and averages the update into version 1, in the same small heap
        JsonNode adapter = awaitAdapter(api, federation, service);
        assertThat(adapter.get("version").asInt()).isEqualTo(1);
        assertThat(service.isAlive()).as("the service is running").isTrue();
        // FedAvg of a lone update with weight 1 is that update: every value comes back as it was sent
        assertDownloadHoldsTheUpdate(agent, adapter.get("downloadPath").asString(), update);
    }

    /** Streams the adapter down and compares every value with the generated update's, tensor by tensor. */
    private static void assertDownloadHoldsTheUpdate(Api.Agent agent, String path, GeneratedUpdate update)
            throws Exception {
        HttpResponse<InputStream> response = HttpClient.newHttpClient()
                .send(
                        agent.api()
                                .request(path, agent.token())
                                .timeout(Duration.ofMinutes(5))
                                .GET()
                                .build(),
                        HttpResponse.BodyHandlers.ofInputStream());
        assertThat(response.statusCode()).isEqualTo(200);
        long size = response.headers().firstValueAsLong("Content-Length").orElse(-1);
        try (InputStream in = new java.io.BufferedInputStream(response.body(), 1 << 16)) {
            SafetensorsHeader header = SafetensorsHeader.read(in, size);
            assertThat(header.tensors())
                    .extracting(SafetensorsHeader.Entry::spec)
                    .hasSameElementsAs(update.specs());
            byte[] bytes = new byte[1 << 16];
            ByteBuffer view = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
            for (SafetensorsHeader.Entry entry : header.tensors()) {
                assertThat(entry.dtype()).isEqualTo("F32");
                long first = update.firstIndexOf(entry.name());
                for (long done = 0; done < entry.elements(); ) {
                    int n = (int) Math.min(bytes.length / 4, entry.elements() - done);
                    assertThat(in.readNBytes(bytes, 0, n * 4)).isEqualTo(n * 4);
                    for (int j = 0; j < n; j++) {
                        float got = view.getFloat(j * 4);
                        if (got != GeneratedUpdate.value(first + done + j)) {
                            throw new AssertionError(entry.name() + "[" + (done + j) + "] is " + got + ", sent "
                                    + GeneratedUpdate.value(first + done + j));
                        }
                    }
                    done += n;
                }
            }
            assertThat(in.read()).isEqualTo(-1);
        }
    }

    private static String tail(String log) {
        return log.length() <= 20_000 ? log : "…" + log.substring(log.length() - 20_000);
    }

    private static FederationConfig config() {
        List<TargetModule> modules = new ArrayList<>();
        for (int m = 0; m < MODULES; m++) {
            modules.add(new TargetModule("layers." + m + ".q", WIDTH, WIDTH));
        }
        return new FederationConfig(
                "big-update",
                null,
                new BaseModelSpec("tiny", null),
                new PeftSpec(PeftMethod.LORA, RANK, 2 * RANK, 0, false, null, modules, 0),
                new TrainingSpec(1, 0, 4, 1e-3, 0, 64, 0, 0),
                StrategySpec.fedAvg(LoraMode.FEDIT),
                new ClientSelection(1, 1.0, 1),
                new RoundPolicy(1, Duration.ofHours(1), null, 1),
                null,
                null,
                null,
                7);
    }

    private static ChildJvm startService(Path directory, TestDatabase database) throws IOException {
        return ChildJvm.start(
                HEAP,
                List.of("-Djava.io.tmpdir=" + directory),
                AggregatorApplication.class,
                List.of(
                        "--server.port=0",
                        "--spring.datasource.url=" + database.jdbcUrl(),
                        "--spring.datasource.username=" + database.username(),
                        "--spring.datasource.password=" + database.password(),
                        "--fedtune.security.bootstrap-admin.secret=" + Api.ADMIN_SECRET,
                        "--fedtune.aggregator.blobs.path=" + directory.resolve("blobs"),
                        "--fedtune.aggregator.max-upload-bytes=" + (1L << 30)),
                directory.resolve("service.log"));
    }

    /** Waits until the service reports ready and returns its base URL (it chose its own port, and logs it). */
    private static String awaitReady(ChildJvm service) {
        return await("the service ready")
                .atMost(Duration.ofMinutes(3))
                .pollInterval(Duration.ofMillis(250))
                .ignoreException(java.io.UncheckedIOException.class) // not listening yet
                .until(
                        () -> {
                            assertThat(service.isAlive())
                                    .as("the service is running")
                                    .isTrue();
                            String port = port(service.output());
                            if (port == null) {
                                return null;
                            }
                            String base = "http://localhost:" + port;
                            HttpResponse<String> health =
                                    Api.send(HttpRequest.newBuilder(URI.create(base + "/actuator/health/readiness"))
                                            .timeout(Duration.ofSeconds(5))
                                            .build());
                            return health.statusCode() == 200 ? base : null;
                        },
                        base -> base != null);
    }

    private static String port(String log) {
        java.util.regex.Matcher matcher =
                java.util.regex.Pattern.compile("started on port (\\d+)").matcher(log);
        return matcher.find() ? matcher.group(1) : null;
    }

    private static int awaitTask(Api.Agent agent, ChildJvm service) {
        Instant deadline = Instant.now().plus(Duration.ofMinutes(2));
        while (Instant.now().isBefore(deadline)) {
            assertThat(service.isAlive()).as("the service is running").isTrue();
            JsonNode task = agent.task(5);
            if (task != null) {
                return task.get("round").asInt();
            }
            agent.heartbeat();
        }
        throw new AssertionError("no task within two minutes");
    }

    private static JsonNode awaitAdapter(Api api, UUID federation, ChildJvm service) {
        return await("a new global adapter")
                .atMost(Duration.ofMinutes(3))
                .pollInterval(Duration.ofMillis(500))
                .until(
                        () -> {
                            assertThat(service.isAlive())
                                    .as("the service is running")
                                    .isTrue();
                            return read(api.get("/api/v1/federations/" + federation + "/adapter", api.admin()), 200);
                        },
                        adapter -> adapter.get("version").asInt() >= 1);
    }

    /**
     * A valid F32 update for the given tensors, generated as it is read: the header, then every value from a formula
     * of its index. Nothing but a 64 KiB buffer is held.
     */
    private record GeneratedUpdate(List<TensorSpec> specs, byte[] header, long values) {

        GeneratedUpdate(List<TensorSpec> specs) {
            this(
                    specs,
                    headerOf(specs),
                    specs.stream().mapToLong(TensorSpec::elements).sum());
        }

        /** The value at a flat index over all tensors, in the order of the specs. */
        static float value(long index) {
            return ((index * 31) % 2001 - 1000) * 1e-5f;
        }

        /** The flat index of a tensor's first value. */
        long firstIndexOf(String tensor) {
            long first = 0;
            for (TensorSpec spec : specs) {
                if (spec.name().equals(tensor)) {
                    return first;
                }
                first += spec.elements();
            }
            throw new AssertionError("no tensor " + tensor + " was sent");
        }

        private static byte[] headerOf(List<TensorSpec> specs) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            try {
                SafetensorsHeader.f32(specs, Map.of("format", "pt")).write(out);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            return out.toByteArray();
        }

        long length() {
            return header.length + values * 4;
        }

        String sha256() throws Exception {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            try (InputStream in = new DigestInputStream(open(), digest)) {
                in.transferTo(java.io.OutputStream.nullOutputStream());
            }
            return HexFormat.of().formatHex(digest.digest());
        }

        InputStream open() {
            return new InputStream() {
                private final ByteBuffer chunk = ByteBuffer.allocate(1 << 16)
                        .order(ByteOrder.LITTLE_ENDIAN)
                        .limit(0);
                private long headerRead;
                private long next;

                @Override
                public int read() throws IOException {
                    byte[] one = new byte[1];
                    return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
                }

                @Override
                public int read(byte[] dst, int offset, int length) {
                    if (length == 0) {
                        return 0;
                    }
                    if (headerRead < header.length) {
                        int n = (int) Math.min(length, header.length - headerRead);
                        System.arraycopy(header, (int) headerRead, dst, offset, n);
                        headerRead += n;
                        return n;
                    }
                    if (!chunk.hasRemaining()) {
                        if (next == values) {
                            return -1;
                        }
                        chunk.clear();
                        while (chunk.hasRemaining() && next < values) {
                            chunk.putFloat(value(next));
                            next++;
                        }
                        chunk.flip();
                    }
                    int n = Math.min(length, chunk.remaining());
                    chunk.get(dst, offset, n);
                    return n;
                }
            };
        }
    }
}
