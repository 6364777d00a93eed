package io.fedtune.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import io.fedtune.protocol.api.BaseModelSpec;
import io.fedtune.protocol.api.ClientSelection;
import io.fedtune.protocol.api.FailurePolicy;
import io.fedtune.protocol.api.FederationConfig;
import io.fedtune.protocol.api.LoraMode;
import io.fedtune.protocol.api.PeftMethod;
import io.fedtune.protocol.api.PeftSpec;
import io.fedtune.protocol.api.RoundPolicy;
import io.fedtune.protocol.api.StrategySpec;
import io.fedtune.protocol.api.TargetModule;
import io.fedtune.protocol.api.TaskView;
import io.fedtune.protocol.api.TrainingSpec;
import io.fedtune.protocol.api.UpdateCodec;
import io.fedtune.protocol.api.UpdateMetadata;
import io.fedtune.protocol.api.registry.AdapterLineage;
import io.fedtune.protocol.api.registry.AdapterVersionView;
import io.fedtune.protocol.api.registry.RegistryApi;
import io.fedtune.protocol.codec.UpdateCodecs;
import io.fedtune.protocol.safetensors.FloatTensor;
import io.fedtune.testsupport.TestDatabase;
import io.fedtune.testsupport.TestDatabases;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * One user journey across the real services: the platform (registry, aggregator, gateway) on real PostgreSQL with
 * real HTTP; two simulated agents that enroll, long-poll, download the global adapter their task names, and upload
 * safetensors updates, all through the gateway. Each new global adapter must arrive in the model registry with its
 * bytes and its lineage (parent version, federation, round) and the round's metrics.
 */
class FederatedRoundEndToEndTests {

    private static final String ADMIN_SECRET = "e2e-admin-secret";
    private static final JsonMapper json = JsonMapper.builder().build();
    private static final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private String gateway;

    @Test
    void agentsTrainTwoRoundsThroughTheGatewayAndEachGlobalAdapterLandsInTheRegistryWithItsLineage(@TempDir Path home)
            throws Exception {
        try (TestDatabase database = TestDatabases.create();
                Platform platform = Platform.start(
                        new Platform.Options(
                                home, 0, 0, 0, 0, database.jdbcUrl(), database.username(), database.password()),
                        "--fedtune.security.bootstrap-admin.secret=" + ADMIN_SECRET,
                        "--fedtune.aggregator.hand-off-interval=PT0.5S",
                        "--fedtune.aggregator.tick-interval=PT0.2S")) {
            ExecutorService agents = Executors.newFixedThreadPool(2);
            gateway = platform.gatewayUrl();
            String admin = token("admin", ADMIN_SECRET);
            UUID federation = createFederation(admin);
            String enrollment = body(
                            send(
                                    "POST",
                                    "/api/v1/federations/" + federation + "/enrollment-tokens",
                                    admin,
                                    "{\"expiresIn\":\"PT1H\",\"maxUses\":2}"),
                            201)
                    .get("token")
                    .asString();
            List<String> agentTokens = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                JsonNode credentials = body(
                        send(
                                "POST",
                                "/api/v1/agent/enroll",
                                null,
                                "{\"token\":\"" + enrollment + "\",\"name\":\"e2e-agent-" + i + "\"}"),
                        201);
                agentTokens.add(token(
                        credentials.get("clientId").asString(),
                        credentials.get("clientSecret").asString()));
            }

            // each agent: heartbeat, then for each round: poll, download the global adapter, train, upload
            List<Future<List<Map<String, FloatTensor>>>> runs = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                int agent = i;
                runs.add(agents.submit(() -> runAgent(agentTokens.get(agent), agent, federation)));
            }
            List<List<Map<String, FloatTensor>>> sent = new ArrayList<>();
            try {
                for (Future<List<Map<String, FloatTensor>>> run : runs) {
                    sent.add(run.get(3, java.util.concurrent.TimeUnit.MINUTES));
                }
            } finally {
                agents.shutdownNow();
            }

            JsonNode finished = awaitStatus(admin, federation, "COMPLETED");
            assertThat(finished.get("globalAdapterVersion").asInt()).isEqualTo(2);

            // the registry holds every version: the same bytes, the lineage 2 → 1 → 0, the round's metrics
            for (int version = 0; version <= 2; version++) {
                AdapterVersionView registered = awaitRegistered(admin, federation, version);
                JsonNode local = body(send("GET", "/api/v1/federations/" + federation + "/adapters", admin, null), 200)
                        .get(version);
                assertThat(local.get("version").asInt()).isEqualTo(version);
                assertThat(registered.sha256()).isEqualTo(local.get("sha256").asString());
                assertThat(registered.round()).isEqualTo(version);
                assertThat(registered.parentVersion()).isEqualTo(version == 0 ? null : version - 1);
                assertThat(registered.baseModel()).isEqualTo("tiny-e2e");
                byte[] fromRegistry = download(RegistryApi.adapterContent(federation, version), admin);
                assertThat(sha256(fromRegistry)).isEqualTo(registered.sha256());
                byte[] fromAggregator = download(local.get("downloadPath").asString(), admin);
                assertThat(fromRegistry).isEqualTo(fromAggregator);
            }
            AdapterVersionView second = awaitRegistered(admin, federation, 2);
            assertThat(second.metrics().clients()).isEqualTo(2);
            assertThat(second.metrics().examples()).isEqualTo(10 + 30);
            // train_loss 1.0 and 2.0 weighted by 10 and 30 examples
            assertThat(second.metrics().trainLoss()).isCloseTo(1.75, org.assertj.core.data.Offset.offset(1e-9));
            assertThat(second.peft().rank()).isEqualTo(4);
            assertThat(second.peft().targetModules()).containsExactly("q", "v");
            AdapterLineage lineage = json.readValue(
                    body(send("GET", RegistryApi.version(federation, 2) + "/lineage", admin, null), 200)
                            .toString(),
                    AdapterLineage.class);
            assertThat(lineage.ancestors())
                    .extracting(AdapterVersionView::version)
                    .containsExactly(1, 0);

            // version 2 is the example-weighted mean (10 : 30) of what the agents sent in round 2
            Map<String, FloatTensor> merged = UpdateCodecs.decode(
                    new ByteArrayInputStream(download(RegistryApi.adapterContent(federation, 2), admin)));
            for (String name : merged.keySet()) {
                float[] got = merged.get(name).values();
                float[] a = sent.get(0).get(1).get(name).values();
                float[] b = sent.get(1).get(1).get(name).values();
                for (int i = 0; i < got.length; i++) {
                    assertThat(got[i])
                            .isCloseTo((10 * a[i] + 30 * b[i]) / 40, org.assertj.core.data.Offset.offset(1e-6f));
                }
            }
            // an agent reads its own federation's adapters from the registry too, through the gateway
            byte[] agentCopy = download(RegistryApi.adapterContent(federation, 2), agentTokens.get(0));
            assertThat(sha256(agentCopy)).isEqualTo(second.sha256());
        }
    }

    /** A simulated agent: returns the update it sent in each round. */
    private List<Map<String, FloatTensor>> runAgent(String token, int agent, UUID federation) throws IOException {
        body(send("POST", "/api/v1/agent/heartbeat", token, "{}"), 200);
        List<Map<String, FloatTensor>> sent = new ArrayList<>();
        for (int round = 1; round <= 2; round++) {
            TaskView task = null;
            for (int poll = 0; poll < 6 && task == null; poll++) {
                HttpResponse<String> next = send("GET", "/api/v1/agent/tasks/next?wait=10", token, null);
                if (next.statusCode() == 200) {
                    task = json.readValue(next.body(), TaskView.class);
                    if (task.round() != round) {
                        task = null;
                    }
                } else {
                    assertThat(next.statusCode()).as(next.body()).isEqualTo(204);
                }
            }
            assertThat(task)
                    .as("agent %d got no task for round %d", agent, round)
                    .isNotNull();
            assertThat(task.federationId()).isEqualTo(federation);
            assertThat(task.globalAdapter().version()).isEqualTo(round - 1);
            byte[] global = download(task.globalAdapter().downloadPath(), token);
            assertThat(sha256(global)).isEqualTo(task.globalAdapter().sha256());

            Map<String, FloatTensor> trained = new TreeMap<>();
            Random random = new Random(100L * agent + round);
            UpdateCodecs.decode(new ByteArrayInputStream(global)).forEach((name, tensor) -> {
                float[] values = tensor.values().clone();
                for (int i = 0; i < values.length; i++) {
                    values[i] += (float) random.nextGaussian() * 0.01f;
                }
                trained.put(name, new FloatTensor(tensor.shape(), values));
            });
            ByteArrayOutputStream body = new ByteArrayOutputStream();
            UpdateCodecs.f32().encode(trained, body);
            byte[] bytes = body.toByteArray();
            UpdateMetadata metadata = new UpdateMetadata(
                    agent == 0 ? 10 : 30,
                    sha256(bytes),
                    UpdateCodec.F32,
                    task.globalAdapter().version(),
                    Map.of("train_loss", agent == 0 ? 1.0 : 2.0),
                    12);
            HttpResponse<String> receipt = sendRaw(HttpRequest.newBuilder(URI.create(gateway + task.uploadPath()))
                    .timeout(Duration.ofSeconds(60))
                    .header("Authorization", "Bearer " + token)
                    .header(UpdateMetadata.HEADER, json.writeValueAsString(metadata))
                    .header("Content-Type", "application/octet-stream")
                    .PUT(HttpRequest.BodyPublishers.ofByteArray(bytes)));
            assertThat(receipt.statusCode()).as(receipt.body()).isEqualTo(201);
            sent.add(trained);
        }
        return sent;
    }

    private UUID createFederation(String admin) {
        FederationConfig config = new FederationConfig(
                "e2e-journey",
                null,
                new BaseModelSpec("tiny-e2e", null),
                new PeftSpec(
                        PeftMethod.LORA,
                        4,
                        8,
                        0,
                        false,
                        null,
                        List.of(new TargetModule("layers.0.q", 16, 16), new TargetModule("layers.0.v", 16, 16)),
                        0),
                new TrainingSpec(1, 0, 4, 1e-3, 0, 64, 0, 0),
                StrategySpec.fedAvg(LoraMode.FEDIT),
                new ClientSelection(2, 1.0, 2),
                new RoundPolicy(2, Duration.ofMinutes(5), FailurePolicy.FAIL_FEDERATION, 1),
                null,
                null,
                null,
                11);
        UUID id = UUID.fromString(body(send("POST", "/api/v1/federations", admin, json.writeValueAsString(config)), 201)
                .get("id")
                .asString());
        body(send("POST", "/api/v1/federations/" + id + "/start", admin, ""), 200);
        return id;
    }

    private JsonNode awaitStatus(String admin, UUID federation, String status) throws InterruptedException {
        JsonNode view = null;
        for (int i = 0; i < 200; i++) {
            view = body(send("GET", "/api/v1/federations/" + federation, admin, null), 200);
            if (view.get("status").asString().equals(status)) {
                return view;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("federation never became " + status + ": " + view);
    }

    private AdapterVersionView awaitRegistered(String admin, UUID federation, int version) throws InterruptedException {
        HttpResponse<String> response = null;
        for (int i = 0; i < 200; i++) {
            response = send("GET", RegistryApi.version(federation, version), admin, null);
            if (response.statusCode() == 200) {
                return json.readValue(response.body(), AdapterVersionView.class);
            }
            Thread.sleep(100);
        }
        throw new AssertionError("version " + version + " never reached the registry: " + response.body());
    }

    private String token(String clientId, String secret) {
        String basic = Base64.getEncoder().encodeToString((clientId + ":" + secret).getBytes(StandardCharsets.UTF_8));
        return body(
                        sendRaw(HttpRequest.newBuilder(URI.create(gateway + "/oauth2/token"))
                                .header("Authorization", "Basic " + basic)
                                .header("Content-Type", "application/x-www-form-urlencoded")
                                .POST(HttpRequest.BodyPublishers.ofString("grant_type=client_credentials"))),
                        200)
                .get("access_token")
                .asString();
    }

    private HttpResponse<String> send(String method, String path, String token, String body) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(gateway + path))
                .timeout(Duration.ofSeconds(60))
                .method(
                        method,
                        body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (body != null) {
            request.header("Content-Type", "application/json");
        }
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        return sendRaw(request);
    }

    private byte[] download(String path, String token) {
        try {
            HttpResponse<byte[]> response = http.send(
                    HttpRequest.newBuilder(URI.create(gateway + path))
                            .timeout(Duration.ofSeconds(60))
                            .header("Authorization", "Bearer " + token)
                            .GET()
                            .build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            assertThat(response.statusCode()).as("GET " + path).isEqualTo(200);
            assertThat(response.headers().firstValue(RegistryApi.SHA256_HEADER)).hasValue(sha256(response.body()));
            return response.body();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static HttpResponse<String> sendRaw(HttpRequest.Builder request) {
        try {
            return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static JsonNode body(HttpResponse<String> response, int status) {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
        return response.body().isEmpty() ? null : json.readTree(response.body());
    }

    private static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
