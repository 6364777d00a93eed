package io.fedtune.agent;

import static org.assertj.core.api.Assertions.assertThat;

import io.fedtune.agent.train.LocalTrainer;
import io.fedtune.agent.train.LocalTrainingRequest;
import io.fedtune.agent.train.LocalTrainingResult;
import io.fedtune.agent.train.StopSignal;
import io.fedtune.agent.train.TrainingProgressListener;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ResumeTests {

    @TempDir
    Path dir;

    FakeAggregator server;
    Path home;
    Path data;
    final ExecutorService threads = Executors.newSingleThreadExecutor();

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
        threads.shutdownNow();
        server.close();
    }

    /** Ten steps; a step leaves a checkpoint file; a start continues after the newest one. */
    static final class CheckpointingTrainer implements LocalTrainer {
        final ShiftingTrainer inner = new ShiftingTrainer(0.25f);
        final CountDownLatch reachedStepThree = new CountDownLatch(1);
        volatile int startedAt = -1;
        volatile int stepsRun;

        @Override
        public LocalTrainingResult train(
                LocalTrainingRequest request, TrainingProgressListener listener, StopSignal stop) {
            try {
                int step = 0;
                while (Files.exists(request.checkpointDir().resolve("step-" + (step + 1)))) {
                    step++;
                }
                startedAt = step;
                while (step < 10) {
                    Thread.sleep(20);
                    step++;
                    stepsRun++;
                    Files.createFile(request.checkpointDir().resolve("step-" + step));
                    listener.onStep(step, 10, 1.0 / step, 10, Duration.ZERO);
                    if (step == 3) {
                        reachedStepThree.countDown();
                    }
                    if (stop.isStopRequested() && step < 10) {
                        return new LocalTrainingResult(request.globalAdapter(), 12, step, 0, 1, 1, Double.NaN, true);
                    }
                }
                return inner.train(request, listener, stop);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
    }

    private AgentRunner runner(LocalTrainer trainer) {
        return Agents.runner(home)
                .setDataFile(data)
                .optTrainer(trainer)
                .optPollWait(Duration.ofSeconds(1))
                .optBackoff(Duration.ofMillis(20), Duration.ofMillis(100))
                .optAttempts(2, 2)
                .optStopWhen(event -> true)
                .build();
    }

    @Test
    void aStoppedAgentCheckpointsReportsNothingAndResumesTheSameTaskAfterARestart() throws Exception {
        CheckpointingTrainer first = new CheckpointingTrainer();
        AgentRunner runner = runner(first);
        Future<AgentRunner.Result> running = threads.submit(runner::run);
        assertThat(first.reachedStepThree.await(20, TimeUnit.SECONDS)).isTrue();
        runner.stop();
        AgentRunner.Result stopped = running.get(20, TimeUnit.SECONDS);

        assertThat(stopped.reason()).isEqualTo(AgentRunner.StopReason.STOP_REQUESTED);
        assertThat(stopped.rounds())
                .singleElement()
                .satisfies(event -> assertThat(event.outcome()).isEqualTo(RoundEvent.Outcome.INTERRUPTED));
        assertThat(server.failures).isEmpty();
        assertThat(server.uploads).isEmpty();
        int stoppedAt = first.stepsRun;
        assertThat(stoppedAt).isBetween(3, 9);

        CheckpointingTrainer second = new CheckpointingTrainer();
        AgentRunner.Result resumed = threads.submit(runner(second)::run).get(30, TimeUnit.SECONDS);

        assertThat(second.startedAt).isEqualTo(stoppedAt);
        assertThat(second.stepsRun).isEqualTo(10 - stoppedAt);
        assertThat(resumed.rounds())
                .singleElement()
                .satisfies(event -> assertThat(event.outcome()).isEqualTo(RoundEvent.Outcome.UPLOADED));
        assertThat(server.uploads).hasSize(1);
        assertThat(server.downloads.get()).isEqualTo(1);
    }

    @Test
    void anUpdateThatCouldNotBeUploadedIsSentLaterWithoutTrainingAgain() throws Exception {
        server.uploadErrorsLeft = 3;
        ShiftingTrainer trainer = new ShiftingTrainer(0.5f);
        AgentRunner.Result result = threads.submit(runner(trainer)::run).get(30, TimeUnit.SECONDS);

        assertThat(result.rounds())
                .extracting(RoundEvent::outcome)
                .containsExactly(RoundEvent.Outcome.INTERRUPTED, RoundEvent.Outcome.UPLOADED);
        assertThat(trainer.calls.get()).isEqualTo(1);
        assertThat(server.uploadAttempts.get()).isEqualTo(4);
        assertThat(server.uploads).hasSize(1);
    }
}
