package io.fedtune.aggregator.round;

import static io.fedtune.aggregator.round.Api.read;
import static org.assertj.core.api.Assertions.assertThat;

import io.fedtune.blobstore.BlobStore;
import io.fedtune.protocol.api.CodecSpec;
import io.fedtune.protocol.api.FederationConfig;
import io.fedtune.protocol.api.LoraMode;
import io.fedtune.protocol.api.UpdateCodec;
import io.fedtune.protocol.api.UpdateMetadata;
import io.fedtune.protocol.codec.UpdateCodecs;
import io.fedtune.protocol.safetensors.DType;
import io.fedtune.protocol.safetensors.FloatTensor;
import io.fedtune.protocol.safetensors.SafetensorsWriter;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.context.annotation.Import;
import org.springframework.core.env.Environment;
import tools.jackson.databind.JsonNode;

/**
 * Updates encoded with each of protocol's codecs, uploaded through the real REST intake: the aggregator decodes them
 * before its checks and its strategy, and refuses a body in another codec or one that does not decode.
 */
@SpringBootTest(
        webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {
            "fedtune.aggregator.scheduling=false",
            "fedtune.security.bootstrap-admin.secret=" + Api.ADMIN_SECRET,
            "fedtune.aggregator.blobs.path=${java.io.tmpdir}/fedtune-codec-intake-tests/${random.uuid}",
            "fedtune.aggregator.max-upload-bytes=100000"
        })
@Import(ManualClockAndInMemoryRegistry.class)
class CodecIntakeTests {

    @Autowired
    Environment environment;

    @Autowired
    RoundEngine engine;

    @Autowired
    BlobStore blobs;

    private Api api;

    @BeforeEach
    void connect() {
        api = new Api("http://localhost:" + environment.getProperty("local.server.port"));
    }

    private static FederationConfig config(String name, UpdateCodec codec, int clients) {
        FederationConfig base =
                Api.config(name, 1, clients, clients, Duration.ofMinutes(5), LoraMode.FEDIT, null, null);
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
                new CodecSpec(codec, codec == UpdateCodec.TOPK ? 0.25 : 0),
                null,
                base.seed());
    }

    private List<Api.Agent> assignedAgents(UUID federation, int n) {
        String token = api.enrollmentToken(federation, n);
        List<Api.Agent> agents = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Api.Agent agent = api.enroll(token, "codec-" + federation + "-" + i);
            agent.heartbeat();
            agents.add(agent);
        }
        engine.tick();
        return agents;
    }

    private static Map<String, FloatTensor> decode(byte[] body) throws IOException {
        return UpdateCodecs.decode(new ByteArrayInputStream(body));
    }

    private static byte[] encode(io.fedtune.protocol.codec.UpdateCodec codec, Map<String, FloatTensor> tensors)
            throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        codec.encode(tensors, out);
        return out.toByteArray();
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

    @ParameterizedTest
    @EnumSource(UpdateCodec.class)
    void eachCodecIsDecodedBeforeTheChecksAndTheAverage(UpdateCodec codec) throws IOException {
        String wire = codec.name().toLowerCase(Locale.ROOT);
        FederationConfig config = config("codec-" + wire, codec, 2);
        UUID id = api.createAndStart(config);
        List<Api.Agent> agents = assignedAgents(id, 2);
        io.fedtune.protocol.codec.UpdateCodec encoder =
                UpdateCodecs.forName(wire, codec == UpdateCodec.TOPK ? Map.of("fraction", "0.25") : Map.of());

        List<Map<String, FloatTensor>> decoded = new ArrayList<>();
        for (int c = 0; c < agents.size(); c++) {
            Api.Agent agent = agents.get(c);
            JsonNode task = agent.task(0);
            assertThat(task.get("codec").get("upload").asString()).isEqualTo(wire);
            Map<String, FloatTensor> global = decode(
                    agent.download(task.get("globalAdapter").get("downloadPath").asString()));
            Random random = new Random(31L * c + codec.ordinal());
            Map<String, FloatTensor> delta = new TreeMap<>();
            global.forEach((name, tensor) -> {
                float[] d = new float[tensor.size()];
                for (int i = 0; i < d.length; i++) {
                    d[i] = (float) random.nextGaussian() * 0.05f;
                }
                delta.put(name, new FloatTensor(tensor.shape(), d));
            });
            Map<String, FloatTensor> trained = add(global, delta);
            // top-k carries the delta to the global adapter; the other codecs carry the adapter itself
            Map<String, FloatTensor> sent = codec == UpdateCodec.TOPK ? delta : trained;
            byte[] body = encode(encoder, sent);
            decoded.add(
                    codec == UpdateCodec.TOPK ? add(global, encoder.reconstruct(delta)) : encoder.reconstruct(trained));
            read(upload(agent, id, body, codec), 201);
        }
        assertThat(blobs.list("updates/" + id + "/")).hasSize(2);

        engine.tick();
        JsonNode detail = read(api.get("/api/v1/federations/" + id + "/rounds/1", api.admin()), 200);
        assertThat(detail.get("round").get("status").asString()).isEqualTo("COMPLETED");
        JsonNode adapter = read(api.get("/api/v1/federations/" + id + "/adapter", api.admin()), 200);
        assertThat(adapter.get("version").asInt()).isEqualTo(1);
        Map<String, FloatTensor> merged =
                decode(agents.get(0).download(adapter.get("downloadPath").asString()));
        assertThat(merged.keySet()).isEqualTo(decoded.get(0).keySet());
        boolean lossy = false;
        for (String name : merged.keySet()) {
            float[] got = merged.get(name).values();
            float[] a = decoded.get(0).get(name).values();
            float[] b = decoded.get(1).get(name).values();
            for (int i = 0; i < got.length; i++) {
                // equal example counts: the plain mean of what each update decodes to
                assertThat(got[i]).as("%s[%d]", name, i).isCloseTo((a[i] + b[i]) / 2, withinTolerance());
            }
        }
        if (codec == UpdateCodec.TOPK) {
            // a quarter of each delta travelled: most coordinates kept the global value
            Map<String, FloatTensor> global =
                    decode(agents.get(0).download("/api/v1/agent/federations/" + id + "/adapters/0"));
            long unchanged = 0;
            long total = 0;
            for (String name : merged.keySet()) {
                float[] g = global.get(name).values();
                float[] m = merged.get(name).values();
                for (int i = 0; i < m.length; i++) {
                    unchanged += g[i] == m[i] ? 1 : 0;
                    total++;
                }
            }
            assertThat((double) unchanged / total).isBetween(0.4, 0.7);
        }
    }

    private static org.assertj.core.data.Offset<Float> withinTolerance() {
        return org.assertj.core.data.Offset.offset(1e-6f);
    }

    private static Map<String, FloatTensor> add(Map<String, FloatTensor> x, Map<String, FloatTensor> y) {
        Map<String, FloatTensor> sum = new TreeMap<>();
        x.forEach((name, tensor) -> {
            float[] a = tensor.values();
            float[] b = y.get(name).values();
            float[] s = new float[a.length];
            for (int i = 0; i < s.length; i++) {
                s[i] = a[i] + b[i];
            }
            sum.put(name, new FloatTensor(tensor.shape(), s));
        });
        return sum;
    }

    @Test
    void aBodyInAnotherCodecOrOneThatDoesNotDecodeIsRefusedAndNothingIsStored() throws IOException {
        FederationConfig int8 = config("codec-refusals-int8", UpdateCodec.INT8, 1);
        UUID id = api.createAndStart(int8);
        Api.Agent agent = assignedAgents(id, 1).get(0);
        Map<String, FloatTensor> global = decode(agent.download(
                agent.task(0).get("globalAdapter").get("downloadPath").asString()));

        byte[] f32Body = encode(UpdateCodecs.f32(), global);
        assertThat(Api.problem(upload(agent, id, f32Body, UpdateCodec.F32), 422))
                .contains("wrong-codec");
        assertThat(Api.problem(upload(agent, id, f32Body, UpdateCodec.INT8), 422))
                .contains("wrong-codec")
                .contains("encoded with codec f32");
        byte[] f16Body = encode(UpdateCodecs.f16(), global);
        assertThat(Api.problem(upload(agent, id, f16Body, UpdateCodec.INT8), 422))
                .contains("wrong-codec");

        String first = global.keySet().iterator().next();
        SafetensorsWriter noScale = new SafetensorsWriter().metadata(UpdateCodecs.CODEC_KEY, "int8");
        global.forEach((name, tensor) -> noScale.addBytes(name, DType.I8, tensor.shape(), new byte[tensor.size()]));
        assertThat(Api.problem(upload(agent, id, Api.bytes(noScale), UpdateCodec.INT8), 422))
                .contains("invalid-update")
                .contains("has no scale");

        SafetensorsWriter minus128 = new SafetensorsWriter().metadata(UpdateCodecs.CODEC_KEY, "int8");
        global.forEach((name, tensor) -> {
            byte[] codes = new byte[tensor.size()];
            codes[codes.length - 1] = name.equals(first) ? Byte.MIN_VALUE : 0;
            minus128.addBytes(name, DType.I8, tensor.shape(), codes);
            minus128.add(name + ".__scale", FloatTensor.scalar(0.01f), DType.F32);
        });
        assertThat(Api.problem(upload(agent, id, Api.bytes(minus128), UpdateCodec.INT8), 422))
                .contains("invalid-update")
                .contains("-128");

        Map<String, FloatTensor> renamed = new TreeMap<>(global);
        renamed.put("base_model.model.layers.0.k.lora_A.weight", renamed.remove(first));
        assertThat(Api.problem(upload(agent, id, encode(UpdateCodecs.int8(), renamed), UpdateCodec.INT8), 422))
                .contains("invalid-update")
                .contains("layers.0.k");

        byte[] truncated = encode(UpdateCodecs.int8(), global);
        truncated = java.util.Arrays.copyOf(truncated, truncated.length - 7);
        assertThat(Api.problem(upload(agent, id, truncated, UpdateCodec.INT8), 422))
                .contains("invalid-update");

        FederationConfig topk = config("codec-refusals-topk", UpdateCodec.TOPK, 1);
        UUID topkId = api.createAndStart(topk);
        Api.Agent sparse = assignedAgents(topkId, 1).get(0);
        SafetensorsWriter outOfRange = new SafetensorsWriter().metadata(UpdateCodecs.CODEC_KEY, "topk");
        global.forEach((name, tensor) -> {
            outOfRange.metadata("fedtune.topk.shape." + name, java.util.Arrays.toString(tensor.shape()));
            int position = name.equals(first) ? tensor.size() : 0;
            outOfRange.addInts(name + ".__indices", new long[] {1}, new int[] {position});
            outOfRange.addFloats(name + ".__values", DType.F32, new long[] {1}, new float[] {0.5f});
        });
        assertThat(Api.problem(upload(sparse, topkId, Api.bytes(outOfRange), UpdateCodec.TOPK), 422))
                .contains("invalid-update")
                .contains("position " + global.get(first).size());
        SafetensorsWriter hugeShape = new SafetensorsWriter().metadata(UpdateCodecs.CODEC_KEY, "topk");
        global.forEach((name, tensor) -> {
            hugeShape.metadata("fedtune.topk.shape." + name, "[100000, 100000]");
            hugeShape.addInts(name + ".__indices", new long[] {1}, new int[] {0});
            hugeShape.addFloats(name + ".__values", DType.F32, new long[] {1}, new float[] {0.5f});
        });
        assertThat(Api.problem(upload(sparse, topkId, Api.bytes(hugeShape), UpdateCodec.TOPK), 422))
                .contains("invalid-update");

        assertThat(blobs.list("updates/" + id + "/")).isEmpty();
        assertThat(blobs.list("updates/" + topkId + "/")).isEmpty();
        for (UUID federation : List.of(id, topkId)) {
            assertThat(read(api.get("/api/v1/federations/" + federation + "/rounds/1", api.admin()), 200)
                            .get("round")
                            .get("submitted")
                            .asInt())
                    .isZero();
        }
        read(upload(agent, id, encode(UpdateCodecs.int8(), global), UpdateCodec.INT8), 201);
    }
}
