package io.fedtune.aggregator.round;

import static io.fedtune.aggregator.round.Api.read;
import static org.assertj.core.api.Assertions.assertThat;

import io.fedtune.aggregator.aggregation.AdapterLayout;
import io.fedtune.aggregator.registry.InMemoryModelRegistryClient;
import io.fedtune.aggregator.registry.ModelRegistryClient;
import io.fedtune.aggregator.security.TokenIssuer;
import io.fedtune.blobstore.BlobStore;
import io.fedtune.protocol.api.FailurePolicy;
import io.fedtune.protocol.api.FederationConfig;
import io.fedtune.protocol.api.LoraMode;
import io.fedtune.protocol.api.NormPolicy;
import io.fedtune.protocol.api.UpdateBounds;
import io.fedtune.protocol.api.UpdateCodec;
import io.fedtune.protocol.api.UpdateMetadata;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.context.annotation.Import;
import org.springframework.core.env.Environment;
import tools.jackson.databind.JsonNode;

@SpringBootTest(
        webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {
            "fedtune.aggregator.scheduling=false",
            "fedtune.security.bootstrap-admin.secret=" + Api.ADMIN_SECRET,
            "fedtune.aggregator.blobs.path=${java.io.tmpdir}/fedtune-round-lifecycle-tests/${random.uuid}",
            "fedtune.aggregator.max-upload-bytes=100000"
        })
@Import(ManualClockAndInMemoryRegistry.class)
class RoundLifecycleTests {

    @Autowired
    Environment environment;

    @Autowired
    RoundEngine engine;

    @Autowired
    AdapterHandOff handOff;

    @Autowired
    MutableClock clock;

    @Autowired
    ModelRegistryClient registry;

    @Autowired
    TokenIssuer issuer;

    @Autowired
    BlobStore blobs;

    @Autowired
    OrphanSweeper sweeper;

    @Autowired
    org.springframework.jdbc.core.simple.JdbcClient jdbc;

    private Api api;

    @BeforeEach
    void connect() {
        api = new Api("http://localhost:" + environment.getProperty("local.server.port"));
    }

    private JsonNode federation(UUID id) {
        return read(api.get("/api/v1/federations/" + id, api.admin()), 200);
    }

    private JsonNode round(UUID id, int number) {
        return read(api.get("/api/v1/federations/" + id + "/rounds/" + number, api.admin()), 200);
    }

    @Test
    void theBytesOfAcceptedUpdatesGoAWeekAfterTheirRoundEndedWhileTheirRowsStay() throws Exception {
        FederationConfig config = Api.config("retention", 2, 1, 1, Duration.ofMinutes(10), LoraMode.FEDIT, null, null);
        UUID id = api.createAndStart(config);
        Api.Agent agent = api.liveAgents(id, 1, "retention-").get(0);
        engine.tick();
        agent.task(1);
        read(agent.upload(id, 1, Api.update(config, LoraMode.FEDIT, 1), 10), 201);
        engine.tick(); // round 1 aggregated and closed; round 2 opens
        engine.tick();
        agent.task(1);
        read(agent.upload(id, 2, Api.update(config, LoraMode.FEDIT, 2), 10), 201);
        List<String> keys = jdbc.sql("SELECT u.blob_key FROM client_update u JOIN round r ON r.id = u.round_id"
                        + " WHERE r.federation_id = ? ORDER BY r.number")
                .param(id)
                .query(String.class)
                .list();
        assertThat(keys).hasSize(2);
        assertThat(blobs.exists(keys.get(0))).isTrue();

        // Age round 1 in the database rather than move the clock every test of this class shares.
        endRoundAgo(id, 1, Duration.ofDays(6));
        sweeper.purgeExpiredUpdates();
        assertThat(blobs.exists(keys.get(0)))
                .as("kept for the retention period")
                .isTrue();

        endRoundAgo(id, 1, Duration.ofDays(8));
        sweeper.purgeExpiredUpdates();
        assertThat(blobs.exists(keys.get(0))).as("round 1 ended 8 days ago").isFalse();
        assertThat(blobs.exists(keys.get(1))).as("round 2 is still collecting").isTrue();
        assertThat(jdbc.sql("SELECT count(*) FROM client_update u JOIN round r ON r.id = u.round_id"
                                + " WHERE r.federation_id = ? AND u.blob_purged_at IS NOT NULL")
                        .param(id)
                        .query(Long.class)
                        .single())
                .isEqualTo(1L);
        assertThat(round(id, 1).get("aggregate").get("updates").asInt()).isEqualTo(1);
    }

    private void endRoundAgo(UUID federation, int number, Duration ago) {
        jdbc.sql("UPDATE round SET closed_at = ? WHERE federation_id = ? AND number = ?")
                .params(java.sql.Timestamp.from(clock.instant().minus(ago)), federation, number)
                .update();
    }

    @Test
    void anInterruptedAdapterDownloadResumesFromWhereItStoppedWithARangeRequest() {
        FederationConfig config = Api.config("resume", 1, 1, 1, Duration.ofMinutes(10), LoraMode.FEDIT, null, null);
        UUID id = api.createAndStart(config);
        Api.Agent agent = api.liveAgents(id, 1, "resume-").get(0);
        engine.tick();
        String path = agent.task(1).get("globalAdapter").get("downloadPath").asString();
        byte[] whole = agent.download(path);

        HttpResponse<byte[]> rest = agent.download(path, "bytes=100-");
        assertThat(rest.statusCode()).isEqualTo(206);
        assertThat(rest.headers().firstValue("Content-Range"))
                .contains("bytes 100-" + (whole.length - 1) + "/" + whole.length);
        assertThat(rest.body()).isEqualTo(java.util.Arrays.copyOfRange(whole, 100, whole.length));

        HttpResponse<byte[]> middle = agent.download(path, "bytes=8-15");
        assertThat(middle.statusCode()).isEqualTo(206);
        assertThat(middle.body()).isEqualTo(java.util.Arrays.copyOfRange(whole, 8, 16));

        HttpResponse<byte[]> beyond = agent.download(path, "bytes=" + whole.length + "-");
        assertThat(beyond.statusCode()).isEqualTo(416);
        assertThat(beyond.headers().firstValue("Content-Range")).contains("bytes */" + whole.length);

        for (String malformed : new String[] {"bytes=+5-9", "bytes=--5", "bytes=-", "items=0-9"}) {
            HttpResponse<byte[]> ignored = agent.download(path, malformed);
            assertThat(ignored.statusCode()).as(malformed).isEqualTo(200);
            assertThat(ignored.body()).as(malformed).isEqualTo(whole);
        }

        HttpResponse<byte[]> several = agent.download(path, "bytes=0-1,4-5");
        assertThat(several.statusCode()).isEqualTo(200);
        assertThat(several.body()).isEqualTo(whole);
    }

    @Test
    void aFederationRunsItsRoundsRegistersEachAdapterAndCompletes() {
        FederationConfig config = Api.config("journey", 2, 2, 3, Duration.ofMinutes(10), LoraMode.FFA, null, null);
        UUID id = api.createAndStart(config);
        List<Api.Agent> agents = api.liveAgents(id, 3, "journey-");
        for (int number = 1; number <= 2; number++) {
            engine.tick();
            for (int i = 0; i < agents.size(); i++) {
                Api.Agent agent = agents.get(i);
                JsonNode task = agent.task(1);
                assertThat(task.get("round").asInt()).isEqualTo(number);
                assertThat(task.get("loraMode").asString()).isEqualTo("ffa");
                byte[] adapter = agent.download(
                        task.get("globalAdapter").get("downloadPath").asString());
                assertThat(Api.sha256(adapter))
                        .isEqualTo(task.get("globalAdapter").get("sha256").asString());
                read(agent.upload(id, number, Api.update(config, LoraMode.FFA, i + 1), 10L * (i + 1)), 201);
            }
            engine.tick();
            JsonNode detail = round(id, number);
            assertThat(detail.get("round").get("status").asString()).isEqualTo("COMPLETED");
            assertThat(detail.get("aggregate").get("updates").asInt()).isEqualTo(3);
            assertThat(detail.get("clients"))
                    .allSatisfy(c -> assertThat(c.get("status").asString()).isEqualTo("SUBMITTED"));
        }
        engine.tick();
        assertThat(federation(id).get("status").asString()).isEqualTo("COMPLETED");
        assertThat(federation(id).get("globalAdapterVersion").asInt()).isEqualTo(2);
        // example-weighted FedAvg of B: (1·10 + 2·20 + 3·30) / 60 = 7/3
        JsonNode adapter = read(api.get("/api/v1/federations/" + id + "/adapter", api.admin()), 200);
        byte[] bytes = agents.get(0).download(adapter.get("downloadPath").asString());
        java.nio.ByteBuffer buffer = java.nio.ByteBuffer.wrap(bytes).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        long headerLength = buffer.getLong(0);
        String header = new String(bytes, 8, (int) headerLength);
        int bKey = header.indexOf("layers.0.q.lora_B.weight");
        String offsets = header.substring(header.indexOf("data_offsets", bKey));
        long begin = Long.parseLong(offsets.substring(offsets.indexOf('[') + 1, offsets.indexOf(','))
                .trim());
        assertThat(buffer.getFloat((int) (8 + headerLength + begin)))
                .isCloseTo(7f / 3, org.assertj.core.data.Offset.offset(1e-5f));

        String scrape = api.get("/actuator/prometheus", null).body();
        assertThat(scrape)
                .contains("fedtune_rounds_total{outcome=\"completed\"}")
                .contains("fedtune_updates_total{outcome=\"accepted\",reason=\"ok\"}")
                .contains("fedtune_aggregation_duration_seconds")
                .contains("fedtune_round_duration_seconds")
                .contains("fedtune_aggregation_bytes_in_total")
                .contains("fedtune_clients_live");

        assertThat(handOff.handOff()).isEqualTo(3);
        assertThat(((InMemoryModelRegistryClient) registry).registrations())
                .filteredOn(r -> r.federationId().equals(id))
                .extracting(ModelRegistryClient.AdapterRegistration::version)
                .containsExactlyInAnyOrder(0, 1, 2);
        ModelRegistryClient.AdapterRegistration second = ((InMemoryModelRegistryClient) registry)
                .registrations().stream()
                        .filter(r -> r.federationId().equals(id) && r.version() == 2)
                        .findFirst()
                        .orElseThrow();
        assertThat(second.metadata().parentVersion()).isEqualTo(1);
        assertThat(second.metadata().round()).isEqualTo(2);
        assertThat(second.metadata().federationName()).isEqualTo("journey");
        assertThat(second.metadata().peft().targetModules()).containsExactly("q", "v");
        assertThat(second.metadata().metrics().clients()).isEqualTo(3);
        assertThat(second.metadata().metrics().examples()).isEqualTo(60);
        // train_loss reported as 1 / examples: (10·0.1 + 20·0.05 + 30·(1/30)) / 60 = 0.05
        assertThat(second.metadata().metrics().trainLoss()).isCloseTo(0.05, org.assertj.core.data.Offset.offset(1e-9));
    }

    @Test
    void atTheDeadlineARoundWithTheMinimumCompletesAndOneWithFewerFailsTheFederation() {
        FederationConfig config = Api.config("deadline", 2, 2, 3, Duration.ofMinutes(5), LoraMode.FEDIT, null, null);
        UUID id = api.createAndStart(config);
        List<Api.Agent> agents = api.liveAgents(id, 3, "deadline-");
        engine.tick();
        read(agents.get(0).upload(id, 1, Api.randomUpdate(config, 1), 5), 201);
        read(agents.get(1).upload(id, 1, Api.randomUpdate(config, 2), 5), 201);
        engine.tick();
        assertThat(round(id, 1).get("round").get("status").asString()).isEqualTo("COLLECTING");
        clock.advance(Duration.ofMinutes(6));
        engine.tick();
        JsonNode first = round(id, 1);
        assertThat(first.get("round").get("status").asString()).isEqualTo("COMPLETED");
        assertThat(first.get("aggregate").get("updates").asInt()).isEqualTo(2);
        assertThat(first.get("clients"))
                .extracting(c -> c.get("status").asString())
                .containsExactlyInAnyOrder("SUBMITTED", "SUBMITTED", "EXPIRED");

        agents.forEach(Api.Agent::heartbeat);
        engine.tick();
        read(agents.get(2).upload(id, 2, Api.randomUpdate(config, 3), 5), 201);
        clock.advance(Duration.ofMinutes(6));
        engine.tick();
        assertThat(round(id, 2).get("round").get("status").asString()).isEqualTo("FAILED");
        JsonNode federation = federation(id);
        assertThat(federation.get("status").asString()).isEqualTo("FAILED");
        assertThat(federation.get("failureReason").asString()).contains("1 of at least 2");
    }

    @Test
    void withTheRetryPolicyAFailedRoundOpensAgainWithAFreshSample() {
        FederationConfig config =
                Api.config("retry", 1, 2, 2, Duration.ofMinutes(5), LoraMode.FEDIT, FailurePolicy.RETRY_ROUND, null);
        UUID id = api.createAndStart(config);
        List<Api.Agent> agents = api.liveAgents(id, 2, "retry-");
        engine.tick();
        read(
                api.post(
                        "/api/v1/agent/federations/" + id + "/rounds/1/failure",
                        agents.get(0).token(),
                        Map.of("reason", "out_of_memory", "message", "8 GiB was not enough")),
                204);
        read(
                api.post(
                        "/api/v1/agent/federations/" + id + "/rounds/1/failure",
                        agents.get(1).token(),
                        Map.of("reason", "data_error")),
                204);
        engine.tick();
        JsonNode rounds = read(api.get("/api/v1/federations/" + id + "/rounds", api.admin()), 200);
        assertThat(rounds)
                .extracting(
                        r -> r.get("attempt").asInt() + ":" + r.get("status").asString())
                .containsExactly("1:FAILED", "2:COLLECTING");
        assertThat(federation(id).get("status").asString()).isEqualTo("RUNNING");
    }

    @Test
    void pauseResumeAndCancelFollowTheStateMachineAndIllegalMovesAreConflicts() throws Exception {
        FederationConfig config = Api.config("lifecycle", 3, 1, 1, Duration.ofMinutes(5), LoraMode.FEDIT, null, null);
        UUID id = UUID.fromString(read(api.post("/api/v1/federations", api.admin(), config), 201)
                .get("id")
                .asString());
        assertThat(read(api.post("/api/v1/federations/" + id + "/pause", api.admin(), ""), 409)
                        .get("type")
                        .asString())
                .isEqualTo("urn:fedtune:problem:illegal-transition");
        read(api.post("/api/v1/federations/" + id + "/start", api.admin(), ""), 200);
        List<Api.Agent> agents = api.liveAgents(id, 1, "lifecycle-");
        read(api.post("/api/v1/federations/" + id + "/pause", api.admin(), ""), 200);
        engine.tick();
        assertThat(read(api.get("/api/v1/federations/" + id + "/rounds", api.admin()), 200))
                .isEmpty();
        read(api.post("/api/v1/federations/" + id + "/resume", api.admin(), ""), 200);
        engine.tick();
        assertThat(agents.get(0).task(0).get("round").asInt()).isEqualTo(1);
        assertThat(read(api.post("/api/v1/federations/" + id + "/cancel", api.admin(), ""), 200)
                        .get("status")
                        .asString())
                .isEqualTo("CANCELLED");
        assertThat(round(id, 1).get("round").get("status").asString()).isEqualTo("FAILED");
        assertThat(agents.get(0).task(0)).isNull();
        read(api.post("/api/v1/federations/" + id + "/resume", api.admin(), ""), 409);
        assertThat(Api.problem(agents.get(0).upload(id, 1, Api.update(config, LoraMode.FEDIT, 1), 1), 409))
                .contains("round-closed");
        assertThat(blobs.list("updates/" + id + "/")).isEmpty();
        assertThat(jdbc.sql("SELECT count(*) FROM client_update WHERE client_id = ?")
                        .param(agents.get(0).id())
                        .query(Long.class)
                        .single())
                .isZero();
        assertThat(Api.problem(
                        api.post(
                                "/api/v1/federations/" + id + "/start",
                                agents.get(0).token(),
                                ""),
                        403))
                .contains("forbidden");
        JsonNode audit = read(api.get("/api/v1/audit", api.admin()), 200);
        assertThat(audit).extracting(a -> a.get("action").asString()).contains("federation.cancel", "federation.pause");
        // refused admin actions are audited too: the illegal pause of a draft, the resume after cancel, the agent
        assertThat(audit)
                .filteredOn(a -> a.get("outcome").asString().equals("refused"))
                .extracting(
                        a -> a.get("actor").asString() + " " + a.get("action").asString() + " "
                                + a.get("detail").get("status").asInt())
                .contains(
                        "admin federation.pause 409",
                        "admin federation.resume 409",
                        agents.get(0).id() + " federation.start 403");
    }

    @Test
    void draftAndPausedFederationsCanBeCancelled() {
        FederationConfig config =
                Api.config("cancel-draft", 1, 1, 1, Duration.ofMinutes(5), LoraMode.FEDIT, null, null);
        UUID draft = UUID.fromString(read(api.post("/api/v1/federations", api.admin(), config), 201)
                .get("id")
                .asString());
        assertThat(read(api.post("/api/v1/federations/" + draft + "/cancel", api.admin(), ""), 200)
                        .get("status")
                        .asString())
                .isEqualTo("CANCELLED");
        UUID paused = api.createAndStart(
                Api.config("cancel-paused", 1, 1, 1, Duration.ofMinutes(5), LoraMode.FEDIT, null, null));
        read(api.post("/api/v1/federations/" + paused + "/pause", api.admin(), ""), 200);
        assertThat(read(api.post("/api/v1/federations/" + paused + "/cancel", api.admin(), ""), 200)
                        .get("status")
                        .asString())
                .isEqualTo("CANCELLED");
    }

    @Test
    void downloadedAssignmentsFailOrExpireAndAFailingAggregationFailsTheRound() throws Exception {
        FederationConfig config = Api.config("downloaded", 1, 2, 3, Duration.ofMinutes(5), LoraMode.FEDIT, null, null);
        UUID id = api.createAndStart(config);
        List<Api.Agent> agents = api.liveAgents(id, 3, "downloaded-");
        engine.tick();
        for (Api.Agent agent : agents) {
            agent.download(
                    agent.task(0).get("globalAdapter").get("downloadPath").asString());
        }
        read(agents.get(0).upload(id, 1, Api.randomUpdate(config, 5), 2), 201);
        read(agents.get(1).upload(id, 1, Api.randomUpdate(config, 6), 2), 201);
        read(
                api.post(
                        "/api/v1/agent/federations/" + id + "/rounds/1/failure",
                        agents.get(2).token(),
                        Map.of("reason", "diverged")),
                204);
        assertThat(round(id, 1).get("clients"))
                .extracting(c -> c.get("status").asString())
                .containsExactlyInAnyOrder("SUBMITTED", "SUBMITTED", "FAILED");
        // an accepted update whose bytes are lost makes every aggregation attempt fail
        String lost = blobs.list("updates/" + id + "/").get(0).key();
        blobs.delete(lost);
        for (int attempt = 0; attempt < 3; attempt++) {
            engine.tick();
        }
        assertThat(round(id, 1).get("round").get("status").asString()).isEqualTo("FAILED");
        assertThat(round(id, 1).get("round").get("failureReason").asString()).contains("aggregation failed");
        engine.tick();
        assertThat(federation(id).get("status").asString()).isEqualTo("FAILED");

        FederationConfig late = Api.config("expired", 1, 1, 1, Duration.ofMinutes(5), LoraMode.FEDIT, null, null);
        UUID lateId = api.createAndStart(late);
        Api.Agent slow = api.liveAgents(lateId, 1, "expired-").get(0);
        engine.tick();
        slow.download(slow.task(0).get("globalAdapter").get("downloadPath").asString());
        assertThat(round(lateId, 1).get("clients").get(0).get("status").asString())
                .isEqualTo("DOWNLOADED");
        clock.advance(Duration.ofMinutes(6));
        engine.tick();
        assertThat(round(lateId, 1).get("clients").get(0).get("status").asString())
                .isEqualTo("EXPIRED");
    }

    @Test
    void badInputIsAProblemDetailAndStoresNothing() throws Exception {
        FederationConfig config = Api.config(
                "bad-input",
                1,
                2,
                2,
                Duration.ofMinutes(5),
                LoraMode.FEDIT,
                null,
                new UpdateBounds(50, NormPolicy.REJECT, 0));
        String admin = api.admin();
        String valid = Api.json.writeValueAsString(config);
        assertThat(Api.problem(api.post("/api/v1/federations", admin, "{not json"), 400))
                .contains("malformed-request");
        assertThat(Api.problem(api.post("/api/v1/federations", admin, valid.replaceFirst("\\{", "{\"bogus\":1,")), 400))
                .contains("bogus");
        assertThat(Api.problem(api.post("/api/v1/federations", admin, valid.replace("\"rank\":4", "\"rank\":0")), 400))
                .contains("peft.rank");
        assertThat(Api.problem(
                        api.post("/api/v1/federations", admin, valid.replace("\"minClients\":2", "\"minClients\":5")),
                        400))
                .contains("clients.minNotAboveMax");
        assertThat(Api.problem(
                        api.post("/api/v1/federations", admin, valid.replace("\"fedavg\"", "\"fedmagic\"")), 400))
                .contains("fedmagic");

        assertThat(Api.problem(
                        api.post(
                                "/api/v1/federations",
                                admin,
                                valid.replace("\"name\":\"bad-input\"", "\"name\":\"bad input!\"")),
                        400))
                .contains("name");
        assertThat(read(api.get("/api/v1/federations", admin), 200))
                .extracting(f -> f.get("name").asString())
                .doesNotContain("bad-input", "bad input!");

        UUID id = api.createAndStart(config);
        List<Api.Agent> agents = api.liveAgents(id, 3, "bad-");
        engine.tick();
        Api.Agent assigned =
                agents.stream().filter(a -> a.task(0) != null).findFirst().orElseThrow();
        Api.Agent outsider =
                agents.stream().filter(a -> a.task(0) == null).findFirst().orElseThrow();
        int blobsBefore = blobs.list("updates/").size();

        byte[] good = Api.update(config, LoraMode.FEDIT, 0.5f);
        byte[] wrongNames = Api.update(
                Api.config("x", 1, 1, 1, Duration.ofMinutes(1), LoraMode.FFA, null, null), LoraMode.FFA, 0.5f);
        byte[] nan = Api.update(config, LoraMode.FEDIT, Float.NaN);
        byte[] huge = Api.update(config, LoraMode.FEDIT, 100f);
        byte[] garbage = "definitely not safetensors".getBytes();
        byte[] infinite = Api.update(config, LoraMode.FEDIT, Float.NEGATIVE_INFINITY);
        AdapterLayout layout = AdapterLayout.of(config);
        byte[] wrongShape = Api.safetensors(layout.globalTensors(2), spec -> new float[(int) spec.elements()]);
        assertThat(Api.problem(assigned.upload(id, 1, wrongNames, 3), 422)).contains("missing");
        assertThat(Api.problem(assigned.upload(id, 1, wrongShape, 3), 422))
                .contains("invalid-update")
                .contains("has shape [2, 16], expected [4, 16]");
        assertThat(Api.problem(assigned.upload(id, 1, nan, 3), 422)).contains("non-finite");
        assertThat(Api.problem(assigned.upload(id, 1, infinite, 3), 422)).contains("non-finite");
        assertThat(Api.problem(assigned.upload(id, 1, huge, 3), 422)).contains("norm-exceeded");
        assertThat(Api.problem(assigned.upload(id, 1, garbage, 3), 422)).contains("invalid-update");
        assertThat(Api.problem(assigned.upload(id, 1, good, 3, Api.sha256(garbage)), 422))
                .contains("checksum-mismatch");
        assertThat(Api.problem(assigned.upload(id, 1, new byte[200_000], 3), 413))
                .contains("upload-too-large");
        byte[] oversize = new byte[200_000];
        UpdateMetadata streamed = new UpdateMetadata(3, Api.sha256(oversize), UpdateCodec.F32, 0, Map.of(), 1);
        // streamed without a Content-Length: refused while it streams, at the limit
        assertThat(Api.problem(
                        Api.send(api.request("/api/v1/agent/federations/" + id + "/rounds/1/update", assigned.token())
                                .header(UpdateMetadata.HEADER, Api.json.writeValueAsString(streamed))
                                .header("Content-Type", "application/octet-stream")
                                .PUT(HttpRequest.BodyPublishers.ofInputStream(
                                        () -> new java.io.ByteArrayInputStream(oversize)))
                                .build()),
                        413))
                .contains("upload-too-large");
        assertThat(Api.problem(outsider.upload(id, 1, good, 3), 403)).contains("not-assigned");
        assertThat(Api.problem(assigned.upload(id, 7, good, 3), 404)).contains("no-such-round");
        assertThat(blobs.list("updates/")).hasSize(blobsBefore);
        assertThat(round(id, 1).get("round").get("submitted").asInt()).isZero();

        read(assigned.upload(id, 1, good, 3), 201);
        assertThat(read(assigned.upload(id, 1, good, 3), 200).get("duplicate").asBoolean())
                .isTrue();
        byte[] other = Api.update(config, LoraMode.FEDIT, 0.25f);
        assertThat(Api.problem(assigned.upload(id, 1, other, 3), 409)).contains("update-conflict");
        assertThat(round(id, 1).get("round").get("submitted").asInt()).isEqualTo(1);

        String expired = issuer.mint(
                        assigned.id().toString(), List.of("AGENT"), List.of(id.toString()), Duration.ofMinutes(1))
                .value();
        assertThat(api.get("/api/v1/agent/tasks/next?wait=0", expired).statusCode())
                .isEqualTo(204);
        clock.advance(Duration.ofMinutes(3));
        assertThat(Api.problem(api.get("/api/v1/agent/tasks/next?wait=0", expired), 401))
                .contains("unauthenticated");
        assertThat(Api.problem(api.get("/api/v1/agent/tasks/next?wait=0", "not-a-jwt"), 401))
                .contains("unauthenticated");
        assertThat(Api.problem(api.get("/api/v1/federations", assigned.token()), 403))
                .contains("forbidden");
        read(api.post("/api/v1/federations/" + id + "/clients/" + outsider.id() + "/revoke", admin, ""), 204);
        assertThat(Api.problem(api.get("/api/v1/agent/tasks/next?wait=0", outsider.token()), 401))
                .contains("client-revoked");
        assertThat(Api.problem(api.token(outsider.id().toString(), outsider.secret()), 401))
                .contains("invalid-client");
        String enrollment = api.enrollmentToken(id, 1);
        JsonNode tokens = read(api.get("/api/v1/federations/" + id + "/enrollment-tokens", admin), 200);
        String tokenId = tokens.get(tokens.size() - 1).get("id").asString();
        read(
                api.send(api.request("/api/v1/federations/" + id + "/enrollment-tokens/" + tokenId, admin)
                        .DELETE()
                        .build()),
                204);
        assertThat(Api.problem(
                        api.post("/api/v1/agent/enroll", null, Map.of("token", enrollment, "name", "late")), 401))
                .contains("invalid-enrollment-token");

        String shortLived = read(
                        api.post(
                                "/api/v1/federations/" + id + "/enrollment-tokens",
                                admin,
                                Map.of("expiresIn", "PT1M", "maxUses", 5)),
                        201)
                .get("token")
                .asString();
        clock.advance(Duration.ofMinutes(2));
        assertThat(Api.problem(
                        api.post("/api/v1/agent/enroll", null, Map.of("token", shortLived, "name", "too-late")), 401))
                .contains("invalid-enrollment-token");
        String once = api.enrollmentToken(id, 1);
        api.enroll(once, "first");
        assertThat(Api.problem(api.post("/api/v1/agent/enroll", null, Map.of("token", once, "name", "second")), 401))
                .contains("invalid-enrollment-token");
        assertThat(read(api.get("/api/v1/federations/" + id + "/clients", admin), 200))
                .extracting(c -> c.get("name").asString())
                .doesNotContain("late", "too-late", "second");
    }

    @SuppressWarnings("unused")
    private static Clock unused(Clock clock) {
        return clock;
    }
}
