package io.fedtune.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fedtune.agent.home.AgentHome;
import io.fedtune.protocol.api.CodecSpec;
import io.fedtune.protocol.api.FailureReason;
import io.fedtune.protocol.api.FederationStatus;
import io.fedtune.protocol.api.LoraMode;
import io.fedtune.protocol.api.PrivacyMode;
import io.fedtune.protocol.api.PrivacySpec;
import io.fedtune.protocol.api.UpdateCodec;
import io.fedtune.protocol.codec.UpdateCodecs;
import io.fedtune.protocol.safetensors.FloatTensor;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AgentRunnerTests {

    @TempDir
    Path dir;

    FakeAggregator server;
    Path home;
    Path data;

    @BeforeEach
    void enrolledAgent() throws Exception {
        server = new FakeAggregator();
        home = dir.resolve("home");
        data = dir.resolve("data.jsonl");
        Files.writeString(data, "{\"text\":\"a private sentence\"}\n");
        Agents.enroll(server.uri(), "enroll-me", "site-a", home);
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private AgentRunner.Builder runner(ShiftingTrainer trainer) {
        return Agents.runner(home)
                .setDataFile(data)
                .optTrainer(trainer)
                .optPollWait(Duration.ofSeconds(1))
                .optBackoff(Duration.ofMillis(20), Duration.ofMillis(200))
                .optStopWhen(event -> event.round() >= 1);
    }

    @Test
    void backsOffOnServerErrorsThenTrainsAndUploadsOnceTheServerIsBack() {
        server.pollErrorsLeft = 4;
        server.uploadErrorsLeft = 2;
        ShiftingTrainer trainer = new ShiftingTrainer(0.5f);
        AgentRunner.Result result = runner(trainer).build().run();

        assertThat(result.reason()).isEqualTo(AgentRunner.StopReason.CONDITION_MET);
        assertThat(server.polls.get()).isEqualTo(5);
        assertThat(server.uploadAttempts.get()).isEqualTo(3);
        assertThat(server.uploads).hasSize(1);
        assertThat(server.uploads.get(0).exampleCount()).isEqualTo(12);
        assertThat(server.uploads.get(0).codec()).isEqualTo(UpdateCodec.F32);
        assertThat(server.uploads.get(0).metrics()).containsEntry("train_loss", 0.6667);
        assertThat(result.rounds()).singleElement().satisfies(event -> {
            assertThat(event.outcome()).isEqualTo(RoundEvent.Outcome.UPLOADED);
            assertThat(event.bytesDown()).isEqualTo(server.adapterBytes.length);
            assertThat(event.bytesUp()).isEqualTo(server.uploadBodies.get(0).length);
        });
        assertThat(home.resolve("tasks")).isEmptyDirectory();
        assertThat(AgentHome.open(home).status().lastRounds())
                .singleElement()
                .satisfies(r -> assertThat(r.outcome()).isEqualTo("uploaded"));
    }

    @Test
    void fetchesAFreshTokenWhenTheOldOneIsAboutToExpire() {
        server.tokenLifetimeSeconds = 1;
        AgentRunner.Result result = runner(new ShiftingTrainer(0.5f)).build().run();

        assertThat(result.reason()).isEqualTo(AgentRunner.StopReason.CONDITION_MET);
        assertThat(server.uploads).hasSize(1);
        // Each call finds its token within 30 s of expiry, so it asks for a new one instead of being refused.
        assertThat(server.tokenRequests.get()).isGreaterThanOrEqualTo(4);
    }

    @Test
    void aTokenTheServerCallsExpiredIsReplacedAndTheCallRepeated() {
        server.expiredTokenAnswersLeft = 1;
        AgentRunner.Result result = runner(new ShiftingTrainer(0.5f)).build().run();

        assertThat(result.reason()).isEqualTo(AgentRunner.StopReason.CONDITION_MET);
        assertThat(server.tokenRequests.get()).isEqualTo(2);
        assertThat(server.uploads).hasSize(1);
    }

    @Test
    void stopsRetryingWithAClearMessageWhenItsCredentialsAreRevoked() {
        server.revoked = true;
        AgentRunner.Result result = runner(new ShiftingTrainer(0.5f)).build().run();

        assertThat(result.reason()).isEqualTo(AgentRunner.StopReason.CREDENTIALS_REJECTED);
        assertThat(result.message())
                .contains("refuses this agent's credentials")
                .contains("enroll");
        assertThat(server.tokenRequests.get()).isLessThanOrEqualTo(2);
        assertThat(server.polls.get()).isZero();
    }

    @Test
    void reDownloadsOnceOnAChecksumMismatchThenFailsTheTaskNamingTheReason() {
        server.corruptDownloadsLeft = 10;
        ShiftingTrainer trainer = new ShiftingTrainer(0.5f);
        AgentRunner.Result result = runner(trainer).build().run();

        assertThat(server.downloads.get()).isEqualTo(2);
        assertThat(trainer.calls.get()).isZero();
        assertThat(server.uploads).isEmpty();
        assertThat(server.failures).singleElement().satisfies(f -> {
            assertThat(f.reason()).isEqualTo(FailureReason.DOWNLOAD_FAILED);
            assertThat(f.message()).contains("checksum mismatch").contains(server.adapterSha);
        });
        assertThat(result.rounds().get(0).outcome()).isEqualTo(RoundEvent.Outcome.FAILED);
    }

    @Test
    void aSingleCorruptDownloadIsRepairedByDownloadingAgain() {
        server.corruptDownloadsLeft = 1;
        ShiftingTrainer trainer = new ShiftingTrainer(0.5f);
        runner(trainer).build().run();

        assertThat(server.downloads.get()).isEqualTo(2);
        assertThat(server.failures).isEmpty();
        assertThat(server.uploads).hasSize(1);
        assertThat(trainer.lastRequest.globalAdapter()).isEqualTo(server.global);
    }

    @Test
    void aDownloadCutHalfwayResumesWithARangeFromWhereItStopped() {
        int half = server.adapterBytes.length / 2;
        server.cutDownloadsLeft = 1;
        // the connection goes once the agent has written the first half to its partial file
        server.beforeCut = () -> await().atMost(Duration.ofSeconds(20)).until(() -> partialDownloadSize() == half);
        ShiftingTrainer trainer = new ShiftingTrainer(0.5f);
        AgentRunner.Result result = runner(trainer).build().run();

        assertThat(server.downloadRanges).containsExactly("none", "bytes=" + half + "-");
        assertThat(server.failures).isEmpty();
        assertThat(server.uploads).hasSize(1);
        assertThat(trainer.lastRequest.globalAdapter()).isEqualTo(server.global);
        assertThat(result.rounds()).singleElement().satisfies(event -> {
            assertThat(event.outcome()).isEqualTo(RoundEvent.Outcome.UPLOADED);
            assertThat(event.bytesDown()).isEqualTo(server.adapterBytes.length);
        });
    }

    private long partialDownloadSize() throws IOException {
        Path tasks = home.resolve("tasks");
        if (!Files.isDirectory(tasks)) {
            return -1;
        }
        try (Stream<Path> files = Files.walk(tasks)) {
            List<Path> parts = files.filter(
                            file -> file.getFileName().toString().endsWith(".part"))
                    .toList();
            return parts.size() == 1 ? Files.size(parts.get(0)) : -1;
        }
    }

    @Test
    void aMissingDataFileIsReportedAsADataErrorWithoutNamingItsContents() throws Exception {
        Files.delete(data);
        AgentRunner.Result result = runner(new ShiftingTrainer(0.5f)).build().run();

        assertThat(server.failures)
                .singleElement()
                .satisfies(f -> assertThat(f.reason()).isEqualTo(FailureReason.DATA_ERROR));
        assertThat(result.rounds().get(0).outcome()).isEqualTo(RoundEvent.Outcome.FAILED);
    }

    @Test
    void stopsWhenTheFederationHasEnded() {
        server.taskOffered = false;
        server.status = FederationStatus.COMPLETED;
        AgentRunner.Result result = runner(new ShiftingTrainer(0.5f)).build().run();

        assertThat(result.reason()).isEqualTo(AgentRunner.StopReason.FEDERATION_ENDED);
        assertThat(result.federationStatus()).isEqualTo(FederationStatus.COMPLETED);
    }

    @Test
    void underLocalDpTheUploadIsClippedAndNoisedAndSaysSo() throws Exception {
        server.privacy = new PrivacySpec(PrivacyMode.LOCAL_DP, 0.25, 0.5, 0);
        runner(new ShiftingTrainer(10f)).build().run();

        assertThat(server.uploads.get(0).localDp()).isNotNull();
        assertThat(server.uploads.get(0).localDp().clipNorm()).isEqualTo(0.25);
        Map<String, FloatTensor> sent = UpdateCodecs.decode(new ByteArrayInputStream(server.uploadBodies.get(0)));
        double shiftedNorm = 0;
        for (var entry : sent.entrySet()) {
            float[] y = entry.getValue().values();
            float[] x = server.global.get(entry.getKey()).values();
            for (int i = 0; i < y.length; i++) {
                shiftedNorm += (y[i] - x[i]) * (y[i] - x[i]);
            }
        }
        // 64 coordinates shifted by 10 (norm 80) clipped to 0.25, plus noise of std 0.125: far below 80.
        assertThat(Math.sqrt(shiftedNorm)).isLessThan(5);
    }

    @Test
    void inFfaModeOnlyLoraBTravelsEncodedWithTheTasksCodec() throws Exception {
        server.loraMode = LoraMode.FFA;
        server.codec = new CodecSpec(UpdateCodec.F16, 0);
        runner(new ShiftingTrainer(0.5f)).build().run();

        Map<String, FloatTensor> sent = UpdateCodecs.decode(new ByteArrayInputStream(server.uploadBodies.get(0)));
        assertThat(sent.keySet()).containsExactly("base_model.model.layers.0.q.lora_B.weight");
        assertThat(server.uploads.get(0).codec()).isEqualTo(UpdateCodec.F16);
        assertThat(sent.values().iterator().next().values()).containsOnly(0.5f);
    }
}
