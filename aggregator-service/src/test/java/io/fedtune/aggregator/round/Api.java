package io.fedtune.aggregator.round;

import static org.assertj.core.api.Assertions.assertThat;

import io.fedtune.aggregator.aggregation.AdapterLayout;
import io.fedtune.aggregator.aggregation.SafetensorsFileWriter;
import io.fedtune.aggregator.aggregation.TensorSpec;
import io.fedtune.protocol.api.BaseModelSpec;
import io.fedtune.protocol.api.ClientSelection;
import io.fedtune.protocol.api.EnrollmentResponse;
import io.fedtune.protocol.api.FailurePolicy;
import io.fedtune.protocol.api.FederationConfig;
import io.fedtune.protocol.api.LoraMode;
import io.fedtune.protocol.api.PeftMethod;
import io.fedtune.protocol.api.PeftSpec;
import io.fedtune.protocol.api.RoundPolicy;
import io.fedtune.protocol.api.StrategySpec;
import io.fedtune.protocol.api.TargetModule;
import io.fedtune.protocol.api.TrainingSpec;
import io.fedtune.protocol.api.UpdateBounds;
import io.fedtune.protocol.api.UpdateCodec;
import io.fedtune.protocol.api.UpdateMetadata;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** A small real-HTTP client of the aggregator for tests: the admin's and the agents' side. */
final class Api {

    static final String ADMIN_SECRET = "test-admin-secret";
    static final JsonMapper json = JsonMapper.builder().build();
    private static final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    final String base;
    private String adminToken;

    Api(String base) {
        this.base = base;
    }

    /** A config with two 16 × 16 modules at rank 4: 256 parameters. */
    static FederationConfig config(
            String name,
            int rounds,
            int min,
            int max,
            Duration deadline,
            LoraMode mode,
            FailurePolicy policy,
            UpdateBounds bounds) {
        return new FederationConfig(
                name,
                null,
                new BaseModelSpec("tiny", null),
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
                StrategySpec.fedAvg(mode),
                new ClientSelection(min, 1.0, max),
                new RoundPolicy(rounds, deadline, policy, 1),
                null,
                null,
                bounds,
                7);
    }

    static HttpResponse<String> send(HttpRequest request) {
        try {
            return http.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    HttpRequest.Builder request(String path, String token) {
        HttpRequest.Builder builder =
                HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(60));
        return token == null ? builder : builder.header("Authorization", "Bearer " + token);
    }

    HttpResponse<String> token(String clientId, String secret) {
        String basic = Base64.getEncoder().encodeToString((clientId + ":" + secret).getBytes(StandardCharsets.UTF_8));
        return send(request("/oauth2/token", null)
                .header("Authorization", "Basic " + basic)
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString("grant_type=client_credentials"))
                .build());
    }

    String admin() {
        if (adminToken == null) {
            adminToken =
                    read(token("admin", ADMIN_SECRET), 200).get("access_token").asString();
        }
        return adminToken;
    }

    HttpResponse<String> post(String path, String token, Object body) {
        return send(request(path, token)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body instanceof String s ? s : json.writeValueAsString(body)))
                .build());
    }

    HttpResponse<String> get(String path, String token) {
        return send(request(path, token).GET().build());
    }

    static JsonNode read(HttpResponse<String> response, int status) {
        if (response.statusCode() != status) {
            throw new AssertionError(
                    "expected " + status + " but got " + response.statusCode() + ": " + response.body());
        }
        return response.body().isEmpty() ? null : json.readTree(response.body());
    }

    /** Asserts a ProblemDetail of that status and returns its body. */
    static String problem(HttpResponse<String> response, int status) {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
        assertThat(response.headers().firstValue("Content-Type"))
                .hasValueSatisfying(type -> assertThat(type).startsWith("application/problem+json"));
        return response.body();
    }

    /** A safetensors file written by protocol's writer, as bytes. */
    static byte[] bytes(io.fedtune.protocol.safetensors.SafetensorsWriter writer) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        try {
            writer.writeTo(out);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /** Enrolls {@code n} agents named {@code prefix0…} with one token, each heartbeating once so it counts as live. */
    List<Agent> liveAgents(UUID federation, int n, String prefix) {
        String token = enrollmentToken(federation, n);
        List<Agent> agents = new java.util.ArrayList<>();
        for (int i = 0; i < n; i++) {
            Agent agent = enroll(token, prefix + i);
            agent.heartbeat();
            agents.add(agent);
        }
        return agents;
    }

    UUID createAndStart(FederationConfig config) {
        UUID id = UUID.fromString(read(post("/api/v1/federations", admin(), config), 201)
                .get("id")
                .asString());
        read(post("/api/v1/federations/" + id + "/start", admin(), ""), 200);
        return id;
    }

    String enrollmentToken(UUID federation, int uses) {
        return read(
                        post(
                                "/api/v1/federations/" + federation + "/enrollment-tokens",
                                admin(),
                                Map.of("expiresIn", "PT1H", "maxUses", uses)),
                        201)
                .get("token")
                .asString();
    }

    /** An enrolled agent with a fresh token. */
    Agent enroll(String enrollmentToken, String name) {
        EnrollmentResponse creds = json.treeToValue(
                read(post("/api/v1/agent/enroll", null, Map.of("token", enrollmentToken, "name", name)), 201),
                EnrollmentResponse.class);
        String token = read(token(creds.clientId().toString(), creds.clientSecret()), 200)
                .get("access_token")
                .asString();
        return new Agent(this, creds.clientId(), creds.clientSecret(), token);
    }

    /** One agent: its credentials and token. */
    record Agent(Api api, UUID id, String secret, String token) {

        void heartbeat() {
            read(api.post("/api/v1/agent/heartbeat", token, Map.of("state", "idle")), 200);
        }

        JsonNode task(int waitSeconds) {
            HttpResponse<String> response = api.get("/api/v1/agent/tasks/next?wait=" + waitSeconds, token);
            return response.statusCode() == 204 ? null : read(response, 200);
        }

        byte[] download(String path) {
            try {
                HttpResponse<byte[]> response =
                        http.send(api.request(path, token).GET().build(), HttpResponse.BodyHandlers.ofByteArray());
                if (response.statusCode() != 200) {
                    throw new AssertionError("download " + response.statusCode());
                }
                return response.body();
            } catch (IOException | InterruptedException e) {
                throw new IllegalStateException(e);
            }
        }

        HttpResponse<byte[]> download(String path, String range) {
            try {
                return http.send(
                        api.request(path, token).header("Range", range).GET().build(),
                        HttpResponse.BodyHandlers.ofByteArray());
            } catch (IOException | InterruptedException e) {
                throw new IllegalStateException(e);
            }
        }

        HttpResponse<String> upload(UUID federation, int round, byte[] body, long examples) {
            return upload(federation, round, body, examples, sha256(body));
        }

        HttpResponse<String> upload(UUID federation, int round, byte[] body, long examples, String sha) {
            UpdateMetadata metadata = new UpdateMetadata(
                    examples, sha, UpdateCodec.F32, round - 1, Map.of("train_loss", 1.0 / examples), 5);
            return send(api.request("/api/v1/agent/federations/" + federation + "/rounds/" + round + "/update", token)
                    .header(UpdateMetadata.HEADER, json.writeValueAsString(metadata))
                    .header("Content-Type", "application/octet-stream")
                    .PUT(HttpRequest.BodyPublishers.ofByteArray(body))
                    .build());
        }
    }

    /** An update for the test config: every value {@code value}, or given per tensor. */
    static byte[] update(FederationConfig config, LoraMode mode, float value) {
        AdapterLayout layout = AdapterLayout.of(config);
        List<TensorSpec> specs = mode == LoraMode.FFA ? layout.denseTensors(mode) : layout.globalTensors(layout.rank());
        return safetensors(specs, spec -> {
            float[] v = new float[Math.toIntExact(spec.elements())];
            java.util.Arrays.fill(v, value);
            return v;
        });
    }

    static byte[] randomUpdate(FederationConfig config, long seed) {
        AdapterLayout layout = AdapterLayout.of(config);
        Random random = new Random(seed);
        return safetensors(layout.globalTensors(layout.rank()), spec -> {
            float[] v = new float[Math.toIntExact(spec.elements())];
            for (int i = 0; i < v.length; i++) {
                v[i] = (float) random.nextGaussian() * 0.1f;
            }
            return v;
        });
    }

    static byte[] safetensors(List<TensorSpec> specs, java.util.function.Function<TensorSpec, float[]> values) {
        try {
            SafetensorsFileWriter writer = SafetensorsFileWriter.temporary(specs, Map.of());
            try (writer) {
                for (TensorSpec spec : specs) {
                    writer.write(spec.name(), values.apply(spec));
                }
            }
            byte[] bytes = Files.readAllBytes(writer.path());
            Files.delete(writer.path());
            return bytes;
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
