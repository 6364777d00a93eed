package io.fedtune.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fedtune.agent.AgentRunner;
import io.fedtune.agent.Agents;
import io.fedtune.agent.RoundEvent;
import io.fedtune.agent.home.AgentHome;
import io.fedtune.agent.home.Credentials;
import io.fedtune.agent.net.AggregatorClient;
import io.fedtune.agent.net.ServerException;
import io.fedtune.agent.train.DeviceChoice;
import io.fedtune.agent.train.LocalTrainer;
import io.fedtune.agent.train.LocalTrainingResult;
import io.fedtune.agent.train.TrainerSettings;
import io.fedtune.protocol.api.Architecture;
import io.fedtune.protocol.api.BaseModelSpec;
import io.fedtune.protocol.api.ClientRoundView;
import io.fedtune.protocol.api.ClientSelection;
import io.fedtune.protocol.api.CodecSpec;
import io.fedtune.protocol.api.FailurePolicy;
import io.fedtune.protocol.api.FederationConfig;
import io.fedtune.protocol.api.HeartbeatRequest;
import io.fedtune.protocol.api.LoraMode;
import io.fedtune.protocol.api.ModelDims;
import io.fedtune.protocol.api.PeftMethod;
import io.fedtune.protocol.api.PeftSpec;
import io.fedtune.protocol.api.PrivacyMode;
import io.fedtune.protocol.api.PrivacySpec;
import io.fedtune.protocol.api.RoundPolicy;
import io.fedtune.protocol.api.RoundStatus;
import io.fedtune.protocol.api.StrategySpec;
import io.fedtune.protocol.api.TargetModule;
import io.fedtune.protocol.api.TaskView;
import io.fedtune.protocol.api.TrainingSpec;
import io.fedtune.protocol.api.UpdateCodec;
import io.fedtune.protocol.api.UpdateMetadata;
import io.fedtune.protocol.codec.UpdateCodecs;
import io.fedtune.protocol.safetensors.FloatTensor;
import io.fedtune.testsupport.TestDatabase;
import io.fedtune.testsupport.TestDatabases;
import io.fedtune.trainer.data.DataOptions;
import io.fedtune.trainer.data.JsonlDataset;
import io.fedtune.trainer.data.TextExample;
import io.fedtune.trainer.data.TokenizedExample;
import io.fedtune.trainer.eval.Evaluator;
import io.fedtune.trainer.model.LoadOptions;
import io.fedtune.trainer.model.PretrainedModel;
import io.fedtune.trainer.peft.Adapter;
import io.fedtune.trainer.peft.PeftConfig;
import io.fedtune.trainer.peft.PeftKind;
import io.fedtune.trainer.text.TextTokenizer;
import io.fedtune.trainer.tiny.SyntheticCorpora;
import io.fedtune.trainer.tiny.SyntheticCorpora.ClientCorpus;
import io.fedtune.trainer.tiny.TinyModelSpec;
import io.fedtune.trainer.tiny.TinyModels;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * Agents against the real platform: the aggregator and the registry in-process on real PostgreSQL, every agent
 * request through a {@link RecordingProxy} over real HTTP.
 */
class FederatedTrainingTests {

    static TestDatabase database;
    static Platform platform;
    static AdminApi admin;

    @TempDir
    Path dir;

    RecordingProxy proxy;
    final ExecutorService agents = Executors.newCachedThreadPool();

    static Path model;

    @BeforeAll
    static void platform(@TempDir Path home) {
        System.setProperty("ai.djl.offline", "true");
        model = TinyModels.write(home.resolve("tiny-llama"), TinyModelSpec.llama());
        database = TestDatabases.create();
        platform = Platform.start(
                new Platform.Options(home, 0, 0, 0, 0, database.jdbcUrl(), database.username(), database.password()),
                "--fedtune.security.bootstrap-admin.secret=" + AdminApi.ADMIN_SECRET,
                "--fedtune.aggregator.tick-interval=PT0.2S");
        admin = new AdminApi(platform.aggregatorUrl());
    }

    @AfterAll
    static void stopPlatform() {
        if (platform != null) {
            platform.close();
        }
        if (database != null) {
            database.close();
        }
    }

    @BeforeEach
    void startProxy() throws Exception {
        proxy = new RecordingProxy(platform.aggregatorUrl());
    }

    @AfterEach
    void stopProxy() {
        agents.shutdownNow();
        proxy.close();
    }

    /** One client, one round, two 16 × 16 modules at rank 4: for the loop's bad weather, not for learning. */
    static FederationConfig smallFederation(String name) {
        return new FederationConfig(
                name + "-" + UUID.randomUUID().toString().substring(0, 8),
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
                StrategySpec.fedAvg(LoraMode.FEDIT),
                new ClientSelection(1, 1.0, 1),
                new RoundPolicy(1, Duration.ofMinutes(2), FailurePolicy.FAIL_FEDERATION, 1),
                null,
                null,
                null,
                3);
    }

    /** Moves every value of the global adapter by 0.01: a valid update, no model needed. */
    static final LocalTrainer NUDGE = (request, listener, stop) -> {
        Map<String, FloatTensor> out = new TreeMap<>();
        request.globalAdapter().forEach((name, t) -> {
            float[] v = t.values().clone();
            for (int i = 0; i < v.length; i++) {
                v[i] += 0.01f;
            }
            out.put(name, new FloatTensor(t.shape(), v));
        });
        listener.onStep(1, 1, 1.0, 1, Duration.ZERO);
        return new LocalTrainingResult(out, 5, 1, 10, 1.0, 1.0, Double.NaN, false);
    };

    Path enroll(UUID federation, String name) throws Exception {
        Path home = dir.resolve(name);
        Agents.enroll(URI.create(proxy.url()), admin.enrollmentToken(federation, 1), name, home);
        return home;
    }

    Path dataFile(String name, String content) throws Exception {
        Path file = dir.resolve(name + ".jsonl");
        Files.writeString(file, content);
        return file;
    }

    AgentRunner.Builder agent(Path home, Path data, LocalTrainer trainer) {
        return Agents.runner(home)
                .setDataFile(data)
                .optTrainer(trainer)
                .optPollWait(Duration.ofSeconds(2))
                .optHeartbeatInterval(Duration.ofSeconds(2))
                .optBackoff(Duration.ofMillis(50), Duration.ofMillis(400));
    }

    AgentRunner.Result runFor(AgentRunner runner, Duration limit) throws Exception {
        Future<AgentRunner.Result> result = agents.submit(runner::run);
        try {
            return result.get(limit.toMillis(), TimeUnit.MILLISECONDS);
        } finally {
            runner.stop();
        }
    }

    /** The tiny Llama's adapter: q_proj and v_proj of both layers at rank 4. */
    static FederationConfig loraFederation(String name, int clients, int rounds, int maxSteps) {
        TinyModelSpec tiny = TinyModelSpec.llama();
        return new FederationConfig(
                name + "-" + UUID.randomUUID().toString().substring(0, 8),
                null,
                new BaseModelSpec(
                        "tiny-llama",
                        new ModelDims(
                                Architecture.LLAMA,
                                tiny.hidden(),
                                tiny.intermediate(),
                                tiny.layers(),
                                tiny.heads(),
                                tiny.kvHeads(),
                                null)),
                new PeftSpec(PeftMethod.LORA, 4, 8, 0, false, List.of("q_proj", "v_proj"), null, 0),
                new TrainingSpec(1, maxSteps, 4, 1e-2, 0, 64, 0, 1.0),
                StrategySpec.fedAvg(LoraMode.FEDIT),
                new ClientSelection(clients, 1.0, clients),
                new RoundPolicy(rounds, Duration.ofMinutes(3), FailurePolicy.FAIL_FEDERATION, 1),
                null,
                null,
                null,
                17);
    }

    AgentRunner.Builder trainingAgent(Path home, Path data) {
        return Agents.runner(home)
                .setDataFile(data)
                .setModelDir(model)
                .optTrainerSettings(new TrainerSettings(DeviceChoice.CPU, 0, 2, 0.1, 0))
                .optPollWait(Duration.ofSeconds(2))
                .optHeartbeatInterval(Duration.ofSeconds(2))
                .optBackoff(Duration.ofMillis(100), Duration.ofSeconds(1));
    }

    @Test
    void threeAgentsWithDifferentDataTrainThreeRoundsOfFedAvgAndNoTrainingTextLeaves() throws Exception {
        UUID federation = admin.createAndStart(loraFederation("fedavg", 3, 3, 8));
        List<ClientCorpus> corpora = SyntheticCorpora.write(dir.resolve("data"), 3, 40, 21);
        List<ClientCorpus> holdouts = SyntheticCorpora.write(dir.resolve("holdout"), 3, 8, 22);
        List<Future<AgentRunner.Result>> results = new ArrayList<>();
        for (ClientCorpus corpus : corpora) {
            Path home = enroll(federation, corpus.name());
            results.add(agents.submit(trainingAgent(home, corpus.file()).build()::run));
        }
        for (Future<AgentRunner.Result> result : results) {
            AgentRunner.Result finished = result.get(150, TimeUnit.SECONDS);
            assertThat(finished.reason()).isEqualTo(AgentRunner.StopReason.FEDERATION_ENDED);
            assertThat(finished.rounds())
                    .extracting(RoundEvent::outcome)
                    .containsExactly(
                            RoundEvent.Outcome.UPLOADED, RoundEvent.Outcome.UPLOADED, RoundEvent.Outcome.UPLOADED);
            assertThat(finished.rounds())
                    .allSatisfy(event -> assertThat(event.trainLoss()).isFinite());
        }

        assertThat(admin.federationStatus(federation)).isEqualTo("COMPLETED");
        assertThat(admin.rounds(federation)).hasSize(3).allSatisfy(round -> {
            assertThat(round.status()).isEqualTo(RoundStatus.COMPLETED);
            assertThat(round.submitted()).isEqualTo(3);
        });

        // The global adapter's loss on every client's holdout, together, falls round after round.
        List<TokenizedExample> union = new ArrayList<>();
        double[] losses = new double[4];
        try (PretrainedModel loaded = PretrainedModel.load(model, LoadOptions.defaults())) {
            TextTokenizer tokenizer = loaded.tokenizer().orElseThrow();
            for (ClientCorpus holdout : holdouts) {
                union.addAll(JsonlDataset.tokenize(
                        JsonlDataset.read(holdout.file(), DataOptions.defaults())
                                .examples(),
                        tokenizer,
                        64));
            }
            PeftConfig peft = new PeftConfig(PeftKind.LORA, 4, 8, 0, false, List.of("q_proj", "v_proj"), 0, null, 0);
            for (JsonNode version : admin.adapters(federation)) {
                int number = version.get("version").asInt();
                Map<String, FloatTensor> tensors = UpdateCodecs.decode(new ByteArrayInputStream(
                        admin.download(version.get("downloadPath").asString())));
                losses[number] = Evaluator.evaluate(loaded, new Adapter(peft, tensors), union, 8)
                        .loss();
            }
        }
        System.out.println(
                "Global adapter loss on the union of the holdouts, versions 0-3: " + Arrays.toString(losses));
        assertThat(losses[1])
                .as("holdout losses by version %s", Arrays.toString(losses))
                .isLessThan(losses[0]);
        assertThat(losses[2])
                .as("holdout losses by version %s", Arrays.toString(losses))
                .isLessThan(losses[1]);
        assertThat(losses[3])
                .as("holdout losses by version %s", Arrays.toString(losses))
                .isLessThan(losses[2]);

        // Nothing an agent sent contains any of its training text.
        List<String> texts = new ArrayList<>();
        for (ClientCorpus corpus : corpora) {
            for (TextExample example :
                    JsonlDataset.read(corpus.file(), DataOptions.defaults()).examples()) {
                for (String part : new String[] {example.prompt(), example.response()}) {
                    if (part != null && part.strip().length() >= 12) {
                        texts.add(part.strip());
                    }
                }
            }
        }
        assertThat(texts).hasSizeGreaterThan(100);
        assertThat(proxy.captured).hasSizeGreaterThan(20);
        assertThat(proxy.captured.stream().filter(c -> c.method().equals("PUT")))
                .hasSize(9);
        for (RecordingProxy.Captured request : proxy.captured) {
            String sent = request.asText();
            for (String text : texts) {
                assertThat(sent).as("%s %s", request.method(), request.path()).doesNotContain(text);
            }
        }
    }

    Process agentProcess(Path home, Path data, Path log) throws Exception {
        return new ProcessBuilder(
                        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                        "-Xmx512m",
                        "-Dai.djl.offline=true",
                        "-Dfedtune.agent.poll-wait=2s",
                        "-Dfedtune.agent.heartbeat-interval=2s",
                        "-Dfedtune.agent.backoff-max=1s",
                        "-Dfedtune.agent.checkpoint-every=2",
                        "-cp",
                        System.getProperty("java.class.path"),
                        "io.fedtune.agent.AgentCli",
                        "run",
                        "--home",
                        home.toString(),
                        "--data",
                        data.toString(),
                        "--model",
                        model.toString(),
                        "--device",
                        "cpu",
                        "--threads",
                        "1")
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
    }

    static boolean hasCheckpoint(Path home) throws Exception {
        Path tasks = home.resolve("tasks");
        if (!Files.isDirectory(tasks)) {
            return false;
        }
        try (var files = Files.walk(tasks)) {
            return files.anyMatch(p -> p.getFileName().toString().equals("state.json")
                    && p.getParent().getFileName().toString().equals("checkpoint"));
        }
    }

    @Test
    void anAgentKilledMidTrainingResumesAfterARestartAndTheRoundCompletes() throws Exception {
        UUID federation = admin.createAndStart(loraFederation("killed", 2, 1, 12));
        List<ClientCorpus> corpora = SyntheticCorpora.write(dir.resolve("data"), 2, 40, 31);
        Path steady = enroll(federation, "steady");
        Path killed = enroll(federation, "killed");
        // The steady agent's training is beside the point here: a stand-in keeps the machine free for the other.
        Future<AgentRunner.Result> steadyResult =
                agents.submit(agent(steady, corpora.get(0).file(), NUDGE).build()::run);

        Process first = agentProcess(killed, corpora.get(1).file(), dir.resolve("first.log"));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (!hasCheckpoint(killed) && first.isAlive() && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertThat(hasCheckpoint(killed))
                .as(Files.readString(dir.resolve("first.log")))
                .isTrue();
        first.destroyForcibly().waitFor(30, TimeUnit.SECONDS); // SIGKILL: no chance to clean up
        assertThat(admin.round(federation, 1).round().status()).isEqualTo(RoundStatus.COLLECTING);

        Process second = agentProcess(killed, corpora.get(1).file(), dir.resolve("second.log"));
        try {
            assertThat(second.waitFor(150, TimeUnit.SECONDS)).isTrue();
        } finally {
            second.destroyForcibly();
        }
        String log = Files.readString(dir.resolve("second.log"));
        assertThat(second.exitValue()).as(log).isZero();
        assertThat(log).contains("resumed from the checkpoint").contains("the federation is completed");
        assertThat(steadyResult.get(60, TimeUnit.SECONDS).reason()).isEqualTo(AgentRunner.StopReason.FEDERATION_ENDED);
        assertThat(admin.rounds(federation)).singleElement().satisfies(round -> {
            assertThat(round.status()).isEqualTo(RoundStatus.COMPLETED);
            assertThat(round.submitted()).isEqualTo(2);
        });
        assertThat(AgentHome.open(killed).status().lastRounds())
                .singleElement()
                .satisfies(r -> assertThat(r.outcome()).isEqualTo("uploaded"));
    }

    @Test
    void serverErrorsAndACorruptDownloadAreRiddenOutAndTheRoundStillCompletes() throws Exception {
        UUID federation = admin.createAndStart(smallFederation("weather"));
        Path home = enroll(federation, "site-weather");
        proxy.failNext(path -> path.startsWith("/api/v1/agent/tasks/next"), 3);
        proxy.failNext(path -> path.endsWith("/update"), 2);
        proxy.corruptNextDownloads(1);

        AgentRunner.Result result = runFor(
                agent(home, dataFile("weather", "{\"text\":\"x\"}\n"), NUDGE).build(), Duration.ofSeconds(90));

        assertThat(result.reason()).isEqualTo(AgentRunner.StopReason.FEDERATION_ENDED);
        assertThat(proxy.injectedFailures.get()).isEqualTo(5);
        assertThat(result.rounds())
                .singleElement()
                .satisfies(event -> assertThat(event.outcome()).isEqualTo(RoundEvent.Outcome.UPLOADED));
        assertThat(admin.federationStatus(federation)).isEqualTo("COMPLETED");
        assertThat(admin.rounds(federation)).singleElement().satisfies(round -> {
            assertThat(round.status()).isEqualTo(RoundStatus.COMPLETED);
            assertThat(round.submitted()).isEqualTo(1);
        });
        long downloads = proxy.captured.stream()
                .filter(c -> c.path().contains("/adapters/"))
                .count();
        assertThat(downloads).isEqualTo(2);
    }

    @Test
    void underLocalDpTheAggregatorTakesOnlyUpdatesThatSayTheyWereClippedAndNoised() throws Exception {
        FederationConfig plain = smallFederation("local-dp");
        FederationConfig config = new FederationConfig(
                plain.name(),
                null,
                plain.baseModel(),
                plain.peft(),
                plain.training(),
                plain.strategy(),
                plain.clients(),
                plain.rounds(),
                new PrivacySpec(PrivacyMode.LOCAL_DP, 0.5, 0.8, 0),
                null,
                null,
                plain.seed());
        UUID federation = admin.createAndStart(config);
        Path home = enroll(federation, "site-dp");
        Credentials credentials = AgentHome.open(home).credentials();

        // A hand-made upload that does not claim local DP is refused.
        AggregatorClient raw = new AggregatorClient(credentials, Duration.ofSeconds(10), Clock.systemUTC(), "test");
        raw.heartbeat(new HeartbeatRequest("test", "idle"));
        TaskView task = raw.nextTask(Duration.ofSeconds(10)).orElseThrow();
        assertThat(task.privacy().mode()).isEqualTo(PrivacyMode.LOCAL_DP);
        Path body = dir.resolve("plain.safetensors");
        Files.write(body, admin.download(task.globalAdapter().downloadPath()));
        UpdateMetadata unclaimed =
                new UpdateMetadata(5, task.globalAdapter().sha256(), UpdateCodec.F32, 0, Map.of(), 1);
        assertThatThrownBy(() -> raw.upload(task.uploadPath(), body, unclaimed))
                .isInstanceOfSatisfying(ServerException.class, e -> {
                    assertThat(e.status()).isEqualTo(422);
                    assertThat(e.problemType()).isEqualTo("local-dp-required");
                });

        // The agent clips and noises its delta and says so; the round completes.
        AgentRunner.Result result =
                runFor(agent(home, dataFile("dp", "{\"text\":\"x\"}\n"), NUDGE).build(), Duration.ofSeconds(60));
        assertThat(result.reason()).isEqualTo(AgentRunner.StopReason.FEDERATION_ENDED);
        RecordingProxy.Captured upload = proxy.captured.stream()
                .filter(c -> c.method().equals("PUT"))
                .reduce((a, b) -> b)
                .orElseThrow();
        assertThat(upload.headers().get(UpdateMetadata.HEADER).get(0))
                .contains("\"localDp\":{\"clipNorm\":0.5,\"noiseMultiplier\":0.8}");
        assertThat(admin.rounds(federation))
                .singleElement()
                .satisfies(round -> assertThat(round.status()).isEqualTo(RoundStatus.COMPLETED));
    }

    @Test
    void topKUpdatesAreTakenRoundAfterRoundWithTheResidualKeptOnTheAgent() throws Exception {
        FederationConfig plain = smallFederation("topk");
        FederationConfig config = new FederationConfig(
                plain.name(),
                null,
                plain.baseModel(),
                plain.peft(),
                plain.training(),
                plain.strategy(),
                plain.clients(),
                new RoundPolicy(2, Duration.ofMinutes(2), FailurePolicy.FAIL_FEDERATION, 1),
                null,
                new CodecSpec(UpdateCodec.TOPK, 0.25),
                null,
                plain.seed());
        UUID federation = admin.createAndStart(config);
        Path home = enroll(federation, "site-topk");

        AgentRunner.Result result = runFor(
                agent(home, dataFile("topk", "{\"text\":\"x\"}\n"), NUDGE).build(), Duration.ofSeconds(60));

        assertThat(result.reason()).isEqualTo(AgentRunner.StopReason.FEDERATION_ENDED);
        assertThat(result.rounds()).extracting(RoundEvent::outcome).containsOnly(RoundEvent.Outcome.UPLOADED);
        assertThat(admin.rounds(federation))
                .hasSize(2)
                .allSatisfy(round -> assertThat(round.status()).isEqualTo(RoundStatus.COMPLETED));
        assertThat(home.resolve("residual").resolve(federation + ".safetensors"))
                .isRegularFile();
        assertThat(proxy.captured.stream().filter(c -> c.method().equals("PUT")))
                .hasSize(2)
                .allSatisfy(upload -> assertThat(upload.asText())
                        .contains("\"fedtune.codec\":\"topk\"")
                        .contains(".__indices"));
    }

    @Test
    void aRevokedAgentStopsRetryingAndSaysWhatToDo() throws Exception {
        UUID federation = admin.createAndStart(smallFederation("revoked"));
        Path home = enroll(federation, "site-revoked");
        Credentials credentials = AgentHome.open(home).credentials();
        admin.revoke(federation, credentials.clientId());

        AgentRunner.Result result = runFor(
                agent(home, dataFile("revoked", "{\"text\":\"x\"}\n"), NUDGE).build(), Duration.ofSeconds(30));

        assertThat(result.reason()).isEqualTo(AgentRunner.StopReason.CREDENTIALS_REJECTED);
        assertThat(result.message()).contains("revoked").contains("fedtune-agent enroll");
        assertThat(proxy.captured.stream().filter(c -> c.path().equals("/oauth2/token")))
                .hasSizeLessThanOrEqualTo(2);
        assertThat(proxy.captured.stream().filter(c -> c.path().startsWith("/api/v1/agent/tasks")))
                .isEmpty();
    }

    @Test
    void anAdapterThatStaysCorruptFailsTheTaskWithTheReason() throws Exception {
        UUID federation = admin.createAndStart(smallFederation("corrupt"));
        Path home = enroll(federation, "site-corrupt");
        proxy.corruptNextDownloads(2);

        AgentRunner.Result result = runFor(
                agent(home, dataFile("corrupt", "{\"text\":\"x\"}\n"), NUDGE)
                        .optStopWhen(event -> true)
                        .build(),
                Duration.ofSeconds(60));

        assertThat(result.rounds()).singleElement().satisfies(event -> {
            assertThat(event.outcome()).isEqualTo(RoundEvent.Outcome.FAILED);
            assertThat(event.detail()).contains("download_failed").contains("checksum mismatch");
        });
        ClientRoundView client = admin.round(federation, 1).clients().get(0);
        assertThat(client.failureReason()).contains("download_failed");
    }

    @Test
    void anEmptyDataFileFailsTheTaskAsADataError() throws Exception {
        UUID federation = admin.createAndStart(smallFederation("empty"));
        Path home = enroll(federation, "site-empty");

        AgentRunner.Result result = runFor(
                agent(home, dataFile("empty", ""), NUDGE)
                        .optStopWhen(event -> true)
                        .build(),
                Duration.ofSeconds(60));

        assertThat(result.rounds()).singleElement().satisfies(event -> {
            assertThat(event.outcome()).isEqualTo(RoundEvent.Outcome.FAILED);
            assertThat(event.detail()).startsWith("data_error");
        });
        assertThat(admin.round(federation, 1).clients().get(0).failureReason()).contains("data_error");
    }
}
