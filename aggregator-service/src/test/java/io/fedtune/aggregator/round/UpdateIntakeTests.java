package io.fedtune.aggregator.round;

import static io.fedtune.aggregator.round.Api.read;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.fedtune.aggregator.aggregation.AdapterLayout;
import io.fedtune.aggregator.aggregation.TensorSpec;
import io.fedtune.blobstore.BlobEntry;
import io.fedtune.blobstore.BlobStore;
import io.fedtune.protocol.api.CodecSpec;
import io.fedtune.protocol.api.FederationConfig;
import io.fedtune.protocol.api.LoraMode;
import io.fedtune.protocol.api.NormPolicy;
import io.fedtune.protocol.api.UpdateBounds;
import io.fedtune.protocol.api.UpdateCodec;
import io.fedtune.protocol.api.UpdateMetadata;
import io.fedtune.protocol.codec.UpdateCodecs;
import io.fedtune.protocol.safetensors.DType;
import io.fedtune.protocol.safetensors.FloatTensor;
import io.fedtune.protocol.safetensors.SafetensorsWriter;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.context.annotation.Import;
import org.springframework.core.env.Environment;
import org.springframework.jdbc.core.simple.JdbcClient;
import tools.jackson.databind.JsonNode;

/**
 * The intake's refusals and its norm clipping seen from outside: each refusal is a ProblemDetail that leaves neither
 * a row nor a blob behind and is counted by reason, and a clipped update moves the global adapter only as far as the
 * bound allows.
 */
@SpringBootTest(
        webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {
            "fedtune.aggregator.scheduling=false",
            "fedtune.security.bootstrap-admin.secret=" + Api.ADMIN_SECRET,
            "fedtune.aggregator.blobs.path=${java.io.tmpdir}/fedtune-update-intake-tests/${random.uuid}",
            "fedtune.aggregator.max-upload-bytes=100000"
        })
@Import(ManualClockAndInMemoryRegistry.class)
class UpdateIntakeTests {

    @Autowired
    Environment environment;

    @Autowired
    RoundEngine engine;

    @Autowired
    MutableClock clock;

    @Autowired
    BlobStore blobs;

    @Autowired
    JdbcClient jdbc;

    private Api api;

    @BeforeEach
    void connect() {
        api = new Api("http://localhost:" + environment.getProperty("local.server.port"));
    }

    @Test
    void aTensorInAnotherDtypeThanItsCodecIsRefusedCountedAndStoresNothing() throws IOException {
        double before = scraped("fedtune_updates_total{outcome=\"rejected\",reason=\"invalid-update\"}");

        FederationConfig f32 = withCodec(
                Api.config("dtype-f32", 1, 1, 1, Duration.ofMinutes(5), LoraMode.FEDIT, null, null), UpdateCodec.F32);
        UUID f32Id = api.createAndStart(f32);
        Api.Agent f32Agent = api.liveAgents(f32Id, 1, "dtype-f32-").get(0);
        engine.tick();
        Map<String, FloatTensor> global = globalAdapter(f32Agent);
        SafetensorsWriter halves = new SafetensorsWriter();
        global.forEach((name, tensor) -> halves.add(name, tensor, DType.F16));
        assertThat(Api.problem(upload(f32Agent, f32Id, Api.bytes(halves), UpdateCodec.F32), 422))
                .contains("invalid-update")
                .contains("is F16, expected F32");

        FederationConfig f16 = withCodec(
                Api.config("dtype-f16", 1, 1, 1, Duration.ofMinutes(5), LoraMode.FEDIT, null, null), UpdateCodec.F16);
        UUID f16Id = api.createAndStart(f16);
        Api.Agent f16Agent = api.liveAgents(f16Id, 1, "dtype-f16-").get(0);
        engine.tick();
        // marked as the federation's codec, but its tensors are F32
        SafetensorsWriter singles = new SafetensorsWriter().metadata(UpdateCodecs.CODEC_KEY, "f16");
        globalAdapter(f16Agent).forEach((name, tensor) -> singles.add(name, tensor, DType.F32));
        assertThat(Api.problem(upload(f16Agent, f16Id, Api.bytes(singles), UpdateCodec.F16), 422))
                .contains("invalid-update")
                .contains("is F32, expected F16");

        for (UUID federation : List.of(f32Id, f16Id)) {
            assertThat(blobs.list("updates/" + federation + "/")).isEmpty();
            assertThat(updateRows(federation)).isZero();
            assertThat(round(federation, 1).get("round").get("submitted").asInt())
                    .isZero();
        }
        assertThat(scraped("fedtune_updates_total{outcome=\"rejected\",reason=\"invalid-update\"}") - before)
                .isEqualTo(2.0);

        // the same values in the right dtype are accepted: the refusal was the dtype
        SafetensorsWriter right = new SafetensorsWriter();
        global.forEach((name, tensor) -> right.add(name, tensor, DType.F32));
        read(upload(f32Agent, f32Id, Api.bytes(right), UpdateCodec.F32), 201);
    }

    @Test
    void underTheClipPolicyAnUpdateBeyondTheBoundIsAcceptedAndScaledDownToItInTheAverage() throws IOException {
        // 256 parameters: a delta of d in every coordinate has norm 16·d
        FederationConfig config = Api.config(
                "clip", 1, 2, 2, Duration.ofMinutes(5), LoraMode.FEDIT, null, new UpdateBounds(8, NormPolicy.CLIP, 0));
        UUID id = api.createAndStart(config);
        List<Api.Agent> agents = api.liveAgents(id, 2, "clip-");
        engine.tick();
        Map<String, FloatTensor> global = globalAdapter(agents.get(0));
        // norm 4: within the bound, kept whole; norm 32: clipped by 8 / 32
        read(agents.get(0).upload(id, 1, Api.safetensors(specs(config), plus(global, 0.25f)), 10), 201);
        read(agents.get(1).upload(id, 1, Api.safetensors(specs(config), plus(global, 2f)), 30), 201);
        assertThat(round(id, 1).get("clients"))
                .extracting(c -> c.get("updateNorm").asDouble())
                .satisfiesExactlyInAnyOrder(
                        n -> assertThat(n).isCloseTo(4, within(1e-4)),
                        n -> assertThat(n).isCloseTo(32, within(1e-3)));

        engine.tick();
        assertThat(round(id, 1).get("round").get("status").asString()).isEqualTo("COMPLETED");
        JsonNode adapter = read(api.get("/api/v1/federations/" + id + "/adapter", api.admin()), 200);
        assertThat(adapter.get("version").asInt()).isEqualTo(1);
        Map<String, FloatTensor> merged = UpdateCodecs.decode(new ByteArrayInputStream(
                agents.get(0).download(adapter.get("downloadPath").asString())));
        // (10·0.25 + 30·(8/32)·2) / 40 = 0.4375 (unclipped it would be 1.5625)
        float expectedShift = 0.4375f;
        assertThat(merged.keySet()).isEqualTo(global.keySet());
        for (String name : merged.keySet()) {
            float[] got = merged.get(name).values();
            float[] base = global.get(name).values();
            for (int i = 0; i < got.length; i++) {
                assertThat(got[i]).as("%s[%d]", name, i).isCloseTo(base[i] + expectedShift, within(1e-5f));
            }
        }
    }

    @Test
    void anUploadToAClosedRoundIsAConflictProblemThatStoresNothingAndIsCounted() throws IOException {
        FederationConfig config = Api.config("closed", 2, 1, 2, Duration.ofMinutes(5), LoraMode.FEDIT, null, null);
        UUID id = api.createAndStart(config);
        List<Api.Agent> agents = api.liveAgents(id, 2, "closed-");
        engine.tick();
        read(agents.get(0).upload(id, 1, Api.update(config, LoraMode.FEDIT, 0.5f), 4), 201);
        clock.advance(Duration.ofMinutes(6));
        engine.tick();
        assertThat(round(id, 1).get("round").get("status").asString()).isEqualTo("COMPLETED");
        List<BlobEntry> stored = blobs.list("updates/" + id + "/");
        assertThat(stored).hasSize(1);
        double before = scraped("fedtune_updates_total{outcome=\"rejected\",reason=\"round-closed\"}");

        Api.Agent late = agents.get(1);
        assertThat(Api.problem(late.upload(id, 1, Api.update(config, LoraMode.FEDIT, 0.75f), 4), 409))
                .contains("round-closed")
                .contains("COMPLETED");

        assertThat(blobs.list("updates/" + id + "/")).isEqualTo(stored);
        assertThat(updateRows(id)).isEqualTo(1);
        assertThat(jdbc.sql("SELECT count(*) FROM client_update WHERE client_id = ?")
                        .param(late.id())
                        .query(Long.class)
                        .single())
                .isZero();
        assertThat(round(id, 1).get("round").get("submitted").asInt()).isEqualTo(1);
        assertThat(scraped("fedtune_updates_total{outcome=\"rejected\",reason=\"round-closed\"}") - before)
                .isEqualTo(1.0);
    }

    @Test
    void theBytesOfEveryAdapterDownloadAreCounted() {
        FederationConfig config = Api.config("bytes-out", 1, 1, 1, Duration.ofMinutes(5), LoraMode.FEDIT, null, null);
        UUID id = api.createAndStart(config);
        Api.Agent agent = api.liveAgents(id, 1, "bytes-out-").get(0);
        engine.tick();
        String path = agent.task(0).get("globalAdapter").get("downloadPath").asString();
        double before = scraped("fedtune_adapters_bytes_out_total");

        byte[] whole = agent.download(path);
        assertThat(scraped("fedtune_adapters_bytes_out_total") - before).isEqualTo(whole.length);

        HttpResponse<byte[]> rest = agent.download(path, "bytes=100-");
        assertThat(rest.statusCode()).isEqualTo(206);
        assertThat(scraped("fedtune_adapters_bytes_out_total") - before).isEqualTo(whole.length + rest.body().length);
    }

    private JsonNode round(UUID federation, int number) {
        return read(api.get("/api/v1/federations/" + federation + "/rounds/" + number, api.admin()), 200);
    }

    private long updateRows(UUID federation) {
        return jdbc.sql("SELECT count(*) FROM client_update u JOIN round r ON r.id = u.round_id"
                        + " WHERE r.federation_id = ?")
                .param(federation)
                .query(Long.class)
                .single();
    }

    /** The value of one series of the Prometheus scrape; 0 while it has not been registered. */
    private double scraped(String series) {
        return api.get("/actuator/prometheus", null)
                .body()
                .lines()
                .filter(line -> line.startsWith(series + " "))
                .mapToDouble(line -> Double.parseDouble(line.substring(series.length() + 1)))
                .findFirst()
                .orElse(0);
    }

    private static Map<String, FloatTensor> globalAdapter(Api.Agent agent) throws IOException {
        String path = agent.task(0).get("globalAdapter").get("downloadPath").asString();
        return UpdateCodecs.decode(new ByteArrayInputStream(agent.download(path)));
    }

    private static List<TensorSpec> specs(FederationConfig config) {
        AdapterLayout layout = AdapterLayout.of(config);
        return layout.globalTensors(layout.rank());
    }

    /** The global adapter with {@code delta} added to every value, per tensor spec. */
    private static java.util.function.Function<TensorSpec, float[]> plus(Map<String, FloatTensor> global, float delta) {
        Map<String, float[]> shifted = new TreeMap<>();
        global.forEach((name, tensor) -> {
            float[] values = Arrays.copyOf(tensor.values(), tensor.size());
            for (int i = 0; i < values.length; i++) {
                values[i] += delta;
            }
            shifted.put(name, values);
        });
        return spec -> shifted.get(spec.name());
    }

    private static FederationConfig withCodec(FederationConfig base, UpdateCodec codec) {
        return new FederationConfig(
                base.name(),
                base.description(),
                base.baseModel(),
                base.peft(),
                base.training(),
                base.strategy(),
                base.clients(),
                base.rounds(),
                null,
                new CodecSpec(codec, 0),
                null,
                base.seed());
    }

    private static HttpResponse<String> upload(Api.Agent agent, UUID federation, byte[] body, UpdateCodec codec) {
        UpdateMetadata metadata = new UpdateMetadata(3, Api.sha256(body), codec, 0, Map.of("train_loss", 0.5), 5);
        return Api.send(agent.api()
                .request("/api/v1/agent/federations/" + federation + "/rounds/1/update", agent.token())
                .header(UpdateMetadata.HEADER, Api.json.writeValueAsString(metadata))
                .header("Content-Type", "application/octet-stream")
                .PUT(HttpRequest.BodyPublishers.ofByteArray(body))
                .build());
    }
}
