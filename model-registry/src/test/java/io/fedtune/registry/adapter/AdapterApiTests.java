package io.fedtune.registry.adapter;

import static org.assertj.core.api.Assertions.assertThat;

import io.fedtune.protocol.api.registry.AdapterComparison;
import io.fedtune.protocol.api.registry.AdapterFederationView;
import io.fedtune.protocol.api.registry.AdapterLineage;
import io.fedtune.protocol.api.registry.AdapterMethod;
import io.fedtune.protocol.api.registry.AdapterMetrics;
import io.fedtune.protocol.api.registry.AdapterPeftConfig;
import io.fedtune.protocol.api.registry.AdapterTagView;
import io.fedtune.protocol.api.registry.AdapterVersionRegistration;
import io.fedtune.protocol.api.registry.AdapterVersionView;
import io.fedtune.protocol.api.registry.BaseModelRegistration;
import io.fedtune.protocol.api.registry.PrivacySettings;
import io.fedtune.protocol.api.registry.RegistryAuditEntry;
import io.fedtune.protocol.api.registry.TagAssignment;
import io.fedtune.protocol.peft.PeftKeys;
import io.fedtune.protocol.safetensors.DType;
import io.fedtune.protocol.safetensors.SafetensorsStreamReader;
import io.fedtune.protocol.safetensors.SafetensorsWriter;
import io.fedtune.protocol.safetensors.TensorInfo;
import io.fedtune.registry.support.Adapters;
import io.fedtune.registry.support.RegistryHttp;
import io.fedtune.registry.support.RegistryHttpTests;
import io.fedtune.registry.support.TestHome;
import io.fedtune.testsupport.ServiceChecks;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import org.junit.jupiter.api.Test;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.JsonNode;

class AdapterApiTests extends RegistryHttpTests {

    private static AdapterVersionRegistration metadata(
            Adapters.Built adapter,
            int version,
            Integer parent,
            AdapterPeftConfig peft,
            PrivacySettings privacy,
            AdapterMetrics metrics,
            String sha256) {
        return new AdapterVersionRegistration(
                version, version, parent, "demo", "tiny-llama", peft, "fedavg", privacy, metrics, sha256, (long)
                        adapter.bytes().length);
    }

    private AdapterVersionView register(
            String token, UUID federation, AdapterVersionRegistration metadata, byte[] bytes) {
        HttpResponse<String> response = http().register(token, federation, metadata, bytes);
        assertThat(response.statusCode()).as(response.body()).isEqualTo(201);
        AdapterVersionView view = RegistryHttp.JSON.readValue(response.body(), AdapterVersionView.class);
        assertThat(response.headers().firstValue("Location"))
                .hasValue("/api/v1/adapters/" + federation + "/versions/" + metadata.version());
        return view;
    }

    /** Registers versions 0..count-1, each the child of the one before, with falling losses. */
    private List<Adapters.Built> chain(UUID federation, int count) {
        List<Adapters.Built> built = new java.util.ArrayList<>();
        for (int v = 0; v < count; v++) {
            Adapters.Built adapter = Adapters.lora(federation.hashCode() + v, 4);
            AdapterMetrics metrics =
                    v == 0 ? AdapterMetrics.empty() : Adapters.metrics(3.0 - 0.5 * v, 3.2 - 0.4 * v, 3, 300L * v);
            register(
                    tokens.service(),
                    federation,
                    Adapters.metadata(adapter, v, v == 0 ? null : v - 1, metrics),
                    adapter.bytes());
            built.add(adapter);
        }
        return built;
    }

    private static <T> T read(HttpResponse<String> response, Class<T> type) {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return RegistryHttp.JSON.readValue(response.body(), type);
    }

    private long versionRows(UUID federation) {
        return jdbc.sql("SELECT count(*) FROM adapter_version WHERE federation_id = ?")
                .param(federation)
                .query(Long.class)
                .single();
    }

    private void assertNothingKeptFor(UUID federation) throws IOException {
        assertThat(versionRows(federation)).isZero();
        assertThat(jdbc.sql("SELECT count(*) FROM federation WHERE id = ?")
                        .param(federation)
                        .query(Long.class)
                        .single())
                .isZero();
        assertThat(blobs.list("adapters/" + federation)).isEmpty();
        assertThat(TestHome.files(blobDirectory().resolve(".tmp"))).isEmpty();
    }

    @Test
    void theAggregatorRegistersVersionsThatFormALineage() {
        UUID federation = UUID.randomUUID();
        chain(federation, 4);

        List<AdapterVersionView> versions = RegistryHttp.JSON.readValue(
                http().get("/api/v1/adapters/" + federation + "/versions", tokens.viewer())
                        .body(),
                new TypeReference<>() {});
        assertThat(versions).extracting(AdapterVersionView::version).containsExactly(3, 2, 1, 0);
        assertThat(versions.get(0).createdBy()).isEqualTo("aggregator");
        assertThat(versions.get(0).state()).isEqualTo("available");

        AdapterLineage lineage = read(
                http().get("/api/v1/adapters/" + federation + "/versions/3/lineage", tokens.viewer()),
                AdapterLineage.class);
        assertThat(lineage.ancestors()).extracting(AdapterVersionView::version).containsExactly(2, 1, 0);
        AdapterLineage root = read(
                http().get("/api/v1/adapters/" + federation + "/versions/0/lineage", tokens.viewer()),
                AdapterLineage.class);
        assertThat(root.ancestors()).isEmpty();

        AdapterVersionView latest = read(
                http().get("/api/v1/adapters/" + federation + "/latest", tokens.viewer()), AdapterVersionView.class);
        assertThat(latest.version()).isEqualTo(3);
        AdapterFederationView record =
                read(http().get("/api/v1/adapters/" + federation, tokens.viewer()), AdapterFederationView.class);
        assertThat(record.versions()).isEqualTo(4);
        assertThat(record.latestVersion()).isEqualTo(3);
        assertThat(record.baseModel()).isEqualTo("tiny-llama");
    }

    @Test
    void tagsMoveBetweenVersionsAndServeAsAliases() {
        UUID federation = UUID.randomUUID();
        List<Adapters.Built> built = chain(federation, 3);
        String tags = "/api/v1/adapters/" + federation + "/tags/production";

        AdapterTagView first = read(http().putJson(tags, tokens.admin(), new TagAssignment(1)), AdapterTagView.class);
        assertThat(first.version()).isEqualTo(1);
        assertThat(read(http().get(tags, tokens.viewer()), AdapterVersionView.class)
                        .version())
                .isEqualTo(1);
        assertThat(http().getBytes(tags + "/adapter.safetensors", tokens.viewer())
                        .body())
                .isEqualTo(built.get(1).bytes());

        AdapterTagView moved = read(http().putJson(tags, tokens.service(), new TagAssignment(2)), AdapterTagView.class);
        assertThat(moved.version()).isEqualTo(2);
        assertThat(moved.taggedBy()).isEqualTo("aggregator");
        AdapterVersionView tagged = read(http().get(tags, tokens.viewer()), AdapterVersionView.class);
        assertThat(tagged.version()).isEqualTo(2);
        assertThat(tagged.tags()).containsExactly("production");
        assertThat(read(
                                http().get("/api/v1/adapters/" + federation + "/versions/1", tokens.viewer()),
                                AdapterVersionView.class)
                        .tags())
                .isEmpty();

        ServiceChecks.assertProblem(
                http().putJson("/api/v1/adapters/" + federation + "/tags/latest", tokens.admin(), new TagAssignment(1)),
                400);
        ServiceChecks.assertProblem(
                http().putJson("/api/v1/adapters/" + federation + "/tags/Prod", tokens.admin(), new TagAssignment(1)),
                400);
        ServiceChecks.assertProblem(http().putJson(tags, tokens.admin(), new TagAssignment(9)), 404);
        ServiceChecks.assertProblem(http().putJson(tags, tokens.viewer(), new TagAssignment(1)), 403);

        assertThat(http().delete(tags, tokens.admin()).statusCode()).isEqualTo(204);
        ServiceChecks.assertProblem(http().get(tags, tokens.viewer()), 404);
        List<RegistryAuditEntry> audit = RegistryHttp.JSON.readValue(
                http().get("/api/v1/adapters/audit", tokens.admin()).body(), new TypeReference<>() {});
        assertThat(audit)
                .filteredOn(entry -> entry.target().contains(federation.toString())
                        && entry.action().startsWith("adapter.tag"))
                .extracting(RegistryAuditEntry::actor, RegistryAuditEntry::outcome)
                .contains(
                        org.assertj.core.groups.Tuple.tuple("test-admin", "ok"),
                        org.assertj.core.groups.Tuple.tuple("aggregator", "ok"),
                        org.assertj.core.groups.Tuple.tuple("test-admin", "invalid-tag"));
    }

    @Test
    void comparingTwoVersionsShowsEachMetricAndItsChange() {
        UUID federation = UUID.randomUUID();
        chain(federation, 4);

        AdapterComparison comparison = read(
                http().get("/api/v1/adapters/" + federation + "/versions/1/compare?with=3", tokens.viewer()),
                AdapterComparison.class);

        assertThat(comparison.generations()).isEqualTo(2);
        assertThat(comparison.sameContent()).isFalse();
        Map<String, AdapterComparison.MetricComparison> byName = new HashMap<>();
        comparison.metrics().forEach(m -> byName.put(m.name(), m));
        assertThat(byName.get("holdout_loss").version()).isEqualTo(2.8, org.assertj.core.data.Offset.offset(1e-9));
        assertThat(byName.get("holdout_loss").with()).isEqualTo(2.0, org.assertj.core.data.Offset.offset(1e-9));
        assertThat(byName.get("holdout_loss").delta()).isEqualTo(-0.8, org.assertj.core.data.Offset.offset(1e-9));
        assertThat(byName.get("examples").delta()).isEqualTo(600.0);
        ServiceChecks.assertProblem(
                http().get("/api/v1/adapters/" + federation + "/versions/1/compare?with=7", tokens.viewer()), 404);
    }

    @Test
    void theExportIsAPeftFolderWhoseSafetensorsReadsBackToTheStoredAdapter() throws IOException {
        http().postJson(
                        "/api/v1/models",
                        tokens.admin(),
                        new BaseModelRegistration(
                                "tiny-llama-" + UUID.randomUUID().toString().substring(0, 6),
                                "llama",
                                "hf://fedtune/tiny-llama",
                                null,
                                null,
                                1000L,
                                "apache-2.0",
                                null));
        UUID federation = UUID.randomUUID();
        Adapters.Built root = Adapters.lora(11, 4);
        Adapters.Built adapter = Adapters.lora(12, 4);
        PrivacySettings dp = new PrivacySettings("dp_fedavg", 1.0, 1.1, 1e-5);
        AdapterMetrics metrics = new AdapterMetrics(1.25, 1.5, 7, 700L, 3.2, 1e-5, Map.of("holdout_accuracy", 0.61));
        register(
                tokens.service(),
                federation,
                metadata(root, 0, null, Adapters.loraConfig(4), dp, AdapterMetrics.empty(), root.sha256()),
                root.bytes());
        register(
                tokens.service(),
                federation,
                metadata(adapter, 1, 0, Adapters.loraConfig(4), dp, metrics, adapter.sha256()),
                adapter.bytes());

        HttpResponse<byte[]> zip = http().getBytes(
                        "/api/v1/adapters/" + federation + "/versions/1/peft.zip",
                        tokens.agent("c", federation.toString()));

        assertThat(zip.statusCode()).isEqualTo(200);
        assertThat(zip.headers().firstValue("Content-Type")).hasValue("application/zip");
        Map<String, byte[]> entries = unzip(zip.body());
        assertThat(entries).containsOnlyKeys("adapter_config.json", "adapter_model.safetensors", "README.md");

        JsonNode config = RegistryHttp.JSON.readTree(entries.get("adapter_config.json"));
        assertThat(config.get("peft_type").asString()).isEqualTo("LORA");
        assertThat(config.get("task_type").asString()).isEqualTo("CAUSAL_LM");
        assertThat(config.get("r").asInt()).isEqualTo(4);
        assertThat(config.get("lora_alpha").asDouble()).isEqualTo(16.0);
        assertThat(config.get("target_modules").toString()).isEqualTo("[\"q_proj\",\"v_proj\"]");

        byte[] safetensors = entries.get("adapter_model.safetensors");
        assertThat(safetensors).isEqualTo(adapter.bytes());
        SafetensorsStreamReader reader = SafetensorsStreamReader.open(new ByteArrayInputStream(safetensors));
        int tensors = 0;
        while (reader.hasNext()) {
            TensorInfo tensor = reader.next();
            assertThat(reader.readFloats())
                    .as(tensor.name())
                    .isEqualTo(adapter.tensors().get(tensor.name()));
            tensors++;
        }
        assertThat(tensors).isEqualTo(adapter.tensors().size());
        assertThat(reader.finish().sha256()).isEqualTo(adapter.sha256());

        String card = new String(entries.get("README.md"), StandardCharsets.UTF_8);
        assertThat(card)
                .contains("base_model:")
                .contains("library_name: peft")
                .contains("# demo — adapter version 1")
                .contains("- Rounds: 1")
                .contains("Participating clients in round 1: 7")
                .contains("| holdout_loss | 1.50000 |")
                .contains("| holdout_accuracy | 0.610000 |")
                .contains("Differential privacy: user-level DP-FedAvg")
                .contains("Noise multiplier z = 1.10000")
                .contains("ε spent up to this version: 3.20000")
                .contains(adapter.sha256());
    }

    @Test
    void aPromptTuningExportNamesItsTokenDimension() throws IOException {
        UUID federation = UUID.randomUUID();
        Adapters.Built prompt = Adapters.prompt(5, 8);
        AdapterPeftConfig peft = new AdapterPeftConfig(AdapterMethod.PROMPT_TUNING, 0, 0, 0, false, List.of(), 8, null);
        register(
                tokens.admin(),
                federation,
                metadata(prompt, 0, null, peft, null, null, prompt.sha256()),
                prompt.bytes());

        Map<String, byte[]> entries =
                unzip(http().getBytes("/api/v1/adapters/" + federation + "/latest/peft.zip", tokens.viewer())
                        .body());

        JsonNode config = RegistryHttp.JSON.readTree(entries.get("adapter_config.json"));
        assertThat(config.get("peft_type").asString()).isEqualTo("PROMPT_TUNING");
        assertThat(config.get("num_virtual_tokens").asInt()).isEqualTo(8);
        assertThat(config.get("token_dim").asInt()).isEqualTo(Adapters.HIDDEN);
        assertThat(entries.get("adapter_model.safetensors")).isEqualTo(prompt.bytes());
    }

    @Test
    void contentDownloadsResumeWithRangesAndAreVerifiableByETag() {
        UUID federation = UUID.randomUUID();
        Adapters.Built adapter = chain(federation, 1).get(0);
        String path = "/api/v1/adapters/" + federation + "/versions/0/adapter.safetensors";
        String etag = "\"" + adapter.sha256() + "\"";
        int size = adapter.bytes().length;

        HttpResponse<byte[]> whole = http().getBytes(path, tokens.viewer());
        assertThat(whole.statusCode()).isEqualTo(200);
        assertThat(whole.body()).isEqualTo(adapter.bytes());
        assertThat(whole.headers().firstValue("ETag")).hasValue(etag);
        assertThat(whole.headers().firstValue("Fedtune-Sha256")).hasValue(adapter.sha256());
        assertThat(whole.headers().firstValue("Accept-Ranges")).hasValue("bytes");
        assertThat(whole.headers().firstValue("Cache-Control"))
                .hasValueSatisfying(v -> assertThat(v).contains("immutable"));

        HttpResponse<byte[]> tail = http().getBytes(path, tokens.viewer(), "Range", "bytes=100-", "If-Range", etag);
        assertThat(tail.statusCode()).isEqualTo(206);
        assertThat(tail.headers().firstValue("Content-Range")).hasValue("bytes 100-" + (size - 1) + "/" + size);
        assertThat(tail.body()).isEqualTo(Arrays.copyOfRange(adapter.bytes(), 100, size));

        HttpResponse<byte[]> stale =
                http().getBytes(path, tokens.viewer(), "Range", "bytes=100-", "If-Range", "\"other\"");
        assertThat(stale.statusCode()).isEqualTo(200);
        assertThat(stale.body()).isEqualTo(adapter.bytes());

        HttpResponse<String> past = http().get(path, tokens.viewer(), "Range", "bytes=" + size + "-");
        ServiceChecks.assertProblem(past, 416);
        assertThat(past.headers().firstValue("Content-Range")).hasValue("bytes */" + size);

        assertThat(http().getBytes(path, tokens.viewer(), "If-None-Match", etag).statusCode())
                .isEqualTo(304);

        HttpResponse<byte[]> latest =
                http().getBytes("/api/v1/adapters/" + federation + "/latest/adapter.safetensors", tokens.viewer());
        assertThat(latest.body()).isEqualTo(adapter.bytes());
        assertThat(latest.headers().firstValue("Cache-Control")).hasValue("no-cache");
    }

    @Test
    void theSameVersionAgainIsANoOpAndOtherBytesAreAConflict() throws IOException {
        UUID federation = UUID.randomUUID();
        Adapters.Built adapter = chain(federation, 1).get(0);
        AdapterVersionView stored = read(
                http().get("/api/v1/adapters/" + federation + "/versions/0", tokens.viewer()),
                AdapterVersionView.class);

        HttpResponse<String> again = http().register(
                        tokens.service(),
                        federation,
                        Adapters.metadata(adapter, 0, null, AdapterMetrics.empty()),
                        adapter.bytes());
        assertThat(again.statusCode()).as(again.body()).isEqualTo(200);
        assertThat(RegistryHttp.JSON
                        .readValue(again.body(), AdapterVersionView.class)
                        .id())
                .isEqualTo(stored.id());

        Adapters.Built other = Adapters.lora(999, 4);
        HttpResponse<String> conflict = http().register(
                        tokens.service(),
                        federation,
                        Adapters.metadata(other, 0, null, AdapterMetrics.empty()),
                        other.bytes());
        ServiceChecks.assertProblem(conflict, 409);
        assertThat(conflict.body()).contains("version-exists");

        assertThat(versionRows(federation)).isEqualTo(1);
        assertThat(blobs.list("adapters/" + federation)).hasSize(1);
        assertThat(http().getBytes(
                                "/api/v1/adapters/" + federation + "/versions/0/adapter.safetensors", tokens.viewer())
                        .body())
                .isEqualTo(adapter.bytes());
    }

    @Test
    void aWrongChecksumIsRefusedAndNothingIsKept() throws IOException {
        UUID federation = UUID.randomUUID();
        Adapters.Built adapter = Adapters.lora(3, 4);
        AdapterVersionRegistration lie = metadata(adapter, 0, null, Adapters.loraConfig(4), null, null, "0".repeat(64));

        HttpResponse<String> response = http().register(tokens.service(), federation, lie, adapter.bytes());

        ServiceChecks.assertProblem(response, 400);
        assertThat(response.body()).contains("checksum-mismatch");
        assertNothingKeptFor(federation);
        ServiceChecks.assertProblem(http().get("/api/v1/adapters/" + federation, tokens.viewer()), 404);
    }

    @Test
    void aWrongSizeIsRefusedAndNothingIsKept() throws IOException {
        UUID federation = UUID.randomUUID();
        Adapters.Built adapter = Adapters.lora(5, 4);
        AdapterVersionRegistration declared = Adapters.metadata(adapter, 0, null, AdapterMetrics.empty());
        AdapterVersionRegistration lie = new AdapterVersionRegistration(
                declared.version(),
                declared.round(),
                declared.parentVersion(),
                declared.federationName(),
                declared.baseModel(),
                declared.peft(),
                declared.strategy(),
                declared.privacy(),
                declared.metrics(),
                declared.sha256(),
                declared.sizeBytes() + 1);

        HttpResponse<String> response = http().register(tokens.service(), federation, lie, adapter.bytes());

        ServiceChecks.assertProblem(response, 400);
        assertThat(response.body()).contains("urn:fedtune:problem:size-mismatch");
        assertNothingKeptFor(federation);
    }

    @Test
    void aVersionForAnotherBaseModelIsAConflictAndNothingIsKept() throws IOException {
        UUID federation = UUID.randomUUID();
        Adapters.Built root = chain(federation, 1).get(0);
        Adapters.Built adapter = Adapters.lora(6, 4);
        AdapterVersionRegistration declared = Adapters.metadata(adapter, 1, 0, AdapterMetrics.empty());
        AdapterVersionRegistration otherModel = new AdapterVersionRegistration(
                declared.version(),
                declared.round(),
                declared.parentVersion(),
                declared.federationName(),
                "another-model",
                declared.peft(),
                declared.strategy(),
                declared.privacy(),
                declared.metrics(),
                declared.sha256(),
                declared.sizeBytes());

        HttpResponse<String> response = http().register(tokens.service(), federation, otherModel, adapter.bytes());

        ServiceChecks.assertProblem(response, 409);
        assertThat(response.body()).contains("urn:fedtune:problem:base-model-mismatch");
        assertThat(versionRows(federation)).isEqualTo(1);
        List<io.fedtune.blobstore.BlobEntry> stored = blobs.list("adapters/" + federation);
        assertThat(stored).hasSize(1);
        try (java.io.InputStream in = blobs.get(stored.get(0).key())) {
            assertThat(in.readAllBytes()).isEqualTo(root.bytes());
        }
        assertThat(TestHome.files(blobDirectory().resolve(".tmp"))).isEmpty();
        AdapterFederationView record =
                read(http().get("/api/v1/adapters/" + federation, tokens.viewer()), AdapterFederationView.class);
        assertThat(record.baseModel()).isEqualTo("tiny-llama");
        assertThat(record.latestVersion()).isZero();
    }

    @Test
    void bytesThatAreNotTheDeclaredAdapterAreRefusedAndNothingIsKept() throws IOException {
        UUID federation = UUID.randomUUID();
        Adapters.Built rank4 = Adapters.lora(4, 4);
        Adapters.Built nan = Adapters.build(
                new SafetensorsWriter()
                        .addFloats(
                                PeftKeys.loraA("model.layers.0.self_attn.q_proj"),
                                DType.F32,
                                new long[] {4, 2},
                                new float[] {0, 1, 2, 3, 4, Float.NaN, 6, 7})
                        .addFloats(
                                PeftKeys.loraB("model.layers.0.self_attn.q_proj"),
                                DType.F32,
                                new long[] {2, 4},
                                new float[8]),
                Map.of());
        Adapters.Built unpaired = Adapters.build(
                new SafetensorsWriter()
                        .addFloats(
                                PeftKeys.loraA("model.layers.0.self_attn.q_proj"),
                                DType.F32,
                                new long[] {4, 2},
                                new float[8]),
                Map.of());
        Adapters.Built wrongTarget = Adapters.build(
                new SafetensorsWriter()
                        .addFloats(
                                PeftKeys.loraA("model.layers.0.mlp.up_proj"),
                                DType.F32,
                                new long[] {4, 2},
                                new float[8])
                        .addFloats(
                                PeftKeys.loraB("model.layers.0.mlp.up_proj"),
                                DType.F32,
                                new long[] {2, 4},
                                new float[8]),
                Map.of());
        byte[] notSafetensors = "definitely not a safetensors body".getBytes(StandardCharsets.UTF_8);
        Adapters.Built garbage =
                new Adapters.Built(notSafetensors, io.fedtune.protocol.checksum.Sha256.hex(notSafetensors), Map.of());

        Map<String, AdapterVersionRegistration> cases = Map.of(
                "rank", metadata(rank4, 0, null, Adapters.loraConfig(8), null, null, rank4.sha256()),
                "nan", metadata(nan, 0, null, Adapters.loraConfig(4), null, null, nan.sha256()),
                "unpaired", metadata(unpaired, 0, null, Adapters.loraConfig(4), null, null, unpaired.sha256()),
                "target", metadata(wrongTarget, 0, null, Adapters.loraConfig(4), null, null, wrongTarget.sha256()),
                "garbage", metadata(garbage, 0, null, Adapters.loraConfig(4), null, null, garbage.sha256()));
        Map<String, byte[]> bodies = Map.of(
                "rank",
                rank4.bytes(),
                "nan",
                nan.bytes(),
                "unpaired",
                unpaired.bytes(),
                "target",
                wrongTarget.bytes(),
                "garbage",
                notSafetensors);

        for (String name : cases.keySet()) {
            HttpResponse<String> response =
                    http().register(tokens.service(), federation, cases.get(name), bodies.get(name));
            ServiceChecks.assertProblem(response, 400);
            assertThat(response.body()).as(name).contains("invalid-adapter");
        }
        assertNothingKeptFor(federation);
    }

    @Test
    void invalidMetadataIsRefusedBeforeAnyByteIsStored() throws IOException {
        UUID federation = UUID.randomUUID();
        Adapters.Built adapter = Adapters.lora(21, 4);
        AdapterVersionRegistration valid = Adapters.metadata(adapter, 1, 0, AdapterMetrics.empty());

        ServiceChecks.assertProblem(
                http().register(tokens.service(), federation, valid, adapter.bytes()), 400); // no parent 0
        ServiceChecks.assertProblem(
                http().register(tokens.service(), federation, Map.of("version", 0, "surprise", true), adapter.bytes()),
                400);
        HttpResponse<String> negative = http().register(
                        tokens.service(),
                        federation,
                        new AdapterVersionRegistration(
                                -1,
                                0,
                                null,
                                "demo",
                                "m",
                                Adapters.loraConfig(4),
                                "fedavg",
                                null,
                                null,
                                adapter.sha256(),
                                null),
                        adapter.bytes());
        ServiceChecks.assertProblem(negative, 400);
        assertThat(negative.body()).contains("version");
        ServiceChecks.assertProblem(
                http().postJson("/api/v1/adapters/" + federation + "/versions", tokens.service(), valid), 415);
        Map<String, Object> withSurprise = new java.util.LinkedHashMap<>(RegistryHttp.JSON.readValue(
                RegistryHttp.JSON.writeValueAsString(Adapters.metadata(adapter, 0, null, AdapterMetrics.empty())),
                new TypeReference<Map<String, Object>>() {}));
        withSurprise.put("surprise", true);
        HttpResponse<String> unknownField =
                http().register(tokens.service(), federation, withSurprise, adapter.bytes());
        ServiceChecks.assertProblem(unknownField, 400);
        assertThat(unknownField.body()).contains("invalid-metadata").contains("surprise");
        assertNothingKeptFor(federation);
    }

    @Test
    void unknownFederationsVersionsAndTagsAreNotFound() {
        UUID known = UUID.randomUUID();
        chain(known, 1);
        UUID unknown = UUID.randomUUID();

        for (String path : List.of(
                "/api/v1/adapters/" + unknown,
                "/api/v1/adapters/" + unknown + "/versions",
                "/api/v1/adapters/" + unknown + "/latest",
                "/api/v1/adapters/" + unknown + "/versions/0/adapter.safetensors",
                "/api/v1/adapters/" + known + "/versions/5",
                "/api/v1/adapters/" + known + "/versions/5/peft.zip",
                "/api/v1/adapters/" + known + "/versions/5/lineage",
                "/api/v1/adapters/" + known + "/tags/nope")) {
            ServiceChecks.assertProblem(http().get(path, tokens.viewer()), 404);
        }
        ServiceChecks.assertProblem(http().get("/api/v1/adapters/not-a-uuid/versions", tokens.viewer()), 400);
    }

    @Test
    void anAgentReadsOnlyTheAdaptersOfItsOwnFederations() {
        UUID own = UUID.randomUUID();
        UUID other = UUID.randomUUID();
        Adapters.Built adapter = chain(own, 1).get(0);
        chain(other, 1);
        String agent = tokens.agent("client-7", own.toString());

        assertThat(http().getBytes("/api/v1/adapters/" + own + "/latest/adapter.safetensors", agent)
                        .body())
                .isEqualTo(adapter.bytes());
        for (String suffix : List.of(
                "",
                "/versions",
                "/versions/0",
                "/latest",
                "/versions/0/adapter.safetensors",
                "/versions/0/peft.zip",
                "/versions/0/lineage")) {
            ServiceChecks.assertProblem(http().get("/api/v1/adapters/" + other + suffix, agent), 403);
        }
        ServiceChecks.assertProblem(http().get("/api/v1/adapters/" + UUID.randomUUID() + "/versions", agent), 403);
        List<AdapterFederationView> visible = RegistryHttp.JSON.readValue(
                http().get("/api/v1/adapters", agent).body(), new TypeReference<>() {});
        assertThat(visible).extracting(AdapterFederationView::id).containsExactly(own);

        Adapters.Built next = Adapters.lora(77, 4);
        ServiceChecks.assertProblem(
                http().register(agent, own, Adapters.metadata(next, 1, 0, AdapterMetrics.empty()), next.bytes()), 403);
        ServiceChecks.assertProblem(
                http().register(
                                tokens.viewer(),
                                own,
                                Adapters.metadata(next, 1, 0, AdapterMetrics.empty()),
                                next.bytes()),
                403);
        ServiceChecks.assertProblem(http().get("/api/v1/adapters/audit", tokens.viewer()), 403);
        ServiceChecks.assertProblem(http().get("/api/v1/adapters/" + own, tokens.forgedAdmin()), 401);
    }

    @Test
    void registrationsAndRefusalsAreAuditedForAdmins() {
        UUID federation = UUID.randomUUID();
        chain(federation, 1);
        Adapters.Built other = Adapters.lora(31, 4);
        http().register(
                        tokens.admin(),
                        federation,
                        Adapters.metadata(other, 0, null, AdapterMetrics.empty()),
                        other.bytes());

        List<RegistryAuditEntry> audit = RegistryHttp.JSON.readValue(
                http().get("/api/v1/adapters/audit?limit=1000", tokens.admin()).body(), new TypeReference<>() {});

        assertThat(audit)
                .filteredOn(entry -> entry.target().startsWith("federation/" + federation))
                .extracting(RegistryAuditEntry::actor, RegistryAuditEntry::action, RegistryAuditEntry::outcome)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple("test-admin", "adapter.register", "version-exists"),
                        org.assertj.core.groups.Tuple.tuple("aggregator", "adapter.register", "ok"));
        assertThat(audit.get(0).occurredAt()).isNotNull();
    }

    @Test
    void prometheusCountsTheBytesStoredAndServed() {
        UUID federation = UUID.randomUUID();
        Adapters.Built adapter = chain(federation, 1).get(0);
        http().getBytes("/api/v1/adapters/" + federation + "/versions/0/adapter.safetensors", tokens.viewer());

        String scrape = http().get("/actuator/prometheus", null).body();

        assertThat(value(scrape, "fedtune_registry_bytes_stored_total{kind=\"adapter\"}"))
                .isGreaterThanOrEqualTo(adapter.bytes().length);
        assertThat(value(scrape, "fedtune_registry_bytes_served_total{kind=\"adapter\"}"))
                .isGreaterThanOrEqualTo(adapter.bytes().length);
        assertThat(value(scrape, "fedtune_registry_adapter_versions{state=\"available\"}"))
                .isGreaterThanOrEqualTo(1);
    }

    @Test
    void prometheusCountsEachRegisteredVersion() {
        String series = "fedtune_registry_versions_registered_total{kind=\"adapter\"}";
        double before = valueOrZero(http().get("/actuator/prometheus", null).body(), series);

        chain(UUID.randomUUID(), 2);

        assertThat(value(http().get("/actuator/prometheus", null).body(), series))
                .isEqualTo(before + 2);
    }

    /** A counter that was never incremented is not in the scrape yet. */
    private static double valueOrZero(String scrape, String series) {
        return scrape.lines().anyMatch(line -> line.startsWith(series + " ")) ? value(scrape, series) : 0;
    }

    private static double value(String scrape, String series) {
        return scrape.lines()
                .filter(line -> line.startsWith(series + " "))
                .mapToDouble(line ->
                        Double.parseDouble(line.substring(series.length() + 1).trim()))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no series " + series + " in the scrape"));
    }

    private static Map<String, byte[]> unzip(byte[] zip) throws IOException {
        Map<String, byte[]> entries = new java.util.LinkedHashMap<>();
        try (ZipInputStream in = new ZipInputStream(new ByteArrayInputStream(zip))) {
            for (ZipEntry entry; (entry = in.getNextEntry()) != null; ) {
                entries.put(entry.getName(), in.readAllBytes());
            }
        }
        return entries;
    }

    @Test
    void concurrentRegistrationsOfOneVersionStoreItOnce() throws Exception {
        UUID federation = UUID.randomUUID();
        Adapters.Built first = Adapters.lora(41, 4);
        Adapters.Built second = Adapters.lora(42, 4);
        List<java.util.concurrent.Callable<Integer>> attempts = List.of(
                () -> http().register(
                                tokens.service(),
                                federation,
                                Adapters.metadata(first, 0, null, AdapterMetrics.empty()),
                                first.bytes())
                        .statusCode(),
                () -> http().register(
                                tokens.service(),
                                federation,
                                Adapters.metadata(first, 0, null, AdapterMetrics.empty()),
                                first.bytes())
                        .statusCode(),
                () -> http().register(
                                tokens.admin(),
                                federation,
                                Adapters.metadata(second, 0, null, AdapterMetrics.empty()),
                                second.bytes())
                        .statusCode());
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(3);
        List<Integer> statuses = new java.util.ArrayList<>();
        try {
            for (java.util.concurrent.Future<Integer> status : pool.invokeAll(attempts)) {
                statuses.add(status.get());
            }
        } finally {
            pool.shutdownNow();
        }

        assertThat(versionRows(federation)).isEqualTo(1);
        assertThat(blobs.list("adapters/" + federation)).hasSize(1);
        assertThat(statuses).containsOnlyOnce(201);
        byte[] stored = http().getBytes(
                        "/api/v1/adapters/" + federation + "/versions/0/adapter.safetensors", tokens.viewer())
                .body();
        if (Arrays.equals(stored, first.bytes())) {
            assertThat(statuses).containsExactlyInAnyOrder(201, 200, 409);
        } else {
            assertThat(stored).isEqualTo(second.bytes());
            assertThat(statuses).containsExactlyInAnyOrder(201, 409, 409);
        }
    }
}
