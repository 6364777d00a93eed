package io.fedtune.agent;

import io.fedtune.agent.home.AgentHome;
import io.fedtune.agent.home.AgentStatus;
import io.fedtune.agent.home.Credentials;
import io.fedtune.agent.metrics.AgentMetrics;
import io.fedtune.agent.net.AggregatorClient;
import io.fedtune.agent.net.Backoff;
import io.fedtune.agent.net.CredentialsRejectedException;
import io.fedtune.agent.net.ServerException;
import io.fedtune.agent.task.TaskExecutor;
import io.fedtune.agent.train.LocalTrainer;
import io.fedtune.agent.train.StopSignal;
import io.fedtune.agent.train.TrainerSettings;
import io.fedtune.protocol.FedtuneVersion;
import io.fedtune.protocol.api.FederationStatus;
import io.fedtune.protocol.api.HeartbeatRequest;
import io.fedtune.protocol.api.HeartbeatResponse;
import io.fedtune.protocol.api.TaskView;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent's daemon loop for one enrolled home: heartbeats, long-polls for tasks with exponential backoff and jitter
 * when the server is away, and runs each task through a {@link TaskExecutor}. It stops when the federation ends, when
 * the stop condition holds for a finished round, when {@link #stop()} is called (the current training step finishes
 * and is checkpointed first), or when the server refuses the agent's credentials.
 *
 * <pre>{@code
 * AgentRunner runner = AgentRunner.builder(home).setDataFile(data).setModelDir(model).optListener(listener).build();
 * AgentRunner.Result result = runner.run();   // blocks
 * }</pre>
 */
public final class AgentRunner {

    private static final Logger log = LoggerFactory.getLogger(AgentRunner.class);

    /** Why {@link #run()} returned. */
    public enum StopReason {
        /** The federation is COMPLETED, FAILED or CANCELLED. */
        FEDERATION_ENDED,
        /** The stop condition held for a finished round. */
        CONDITION_MET,
        /** {@link #stop()} was called (SIGTERM in the CLI). */
        STOP_REQUESTED,
        /** The server refuses this agent's credentials; retrying cannot help. */
        CREDENTIALS_REJECTED
    }

    /**
     * How a run ended.
     *
     * @param reason why it stopped
     * @param federationStatus the federation's last known state (null if never heard)
     * @param message a sentence for the user
     * @param rounds every task this run finished
     */
    public record Result(
            StopReason reason, FederationStatus federationStatus, String message, List<RoundEvent> rounds) {}

    private final AgentHome home;
    private final Credentials credentials;
    private final AggregatorClient client;
    private final TaskExecutor executor;
    private final LocalTrainer ownTrainer;
    private final AgentListener listener;
    private final Predicate<RoundEvent> stopWhen;
    private final Duration pollWait;
    private final Duration heartbeatMax;
    private final Duration backoffInitial;
    private final Duration backoffMax;
    private final Clock clock;
    private final AgentMetrics metrics;
    private final StopSignal stop = new StopSignal();
    private final List<RoundEvent> rounds = new ArrayList<>();
    private volatile FederationStatus federationStatus;
    private volatile String state = "starting";
    private volatile CredentialsRejectedException rejected;
    private volatile Duration serverClockSkew = Duration.ZERO;

    private AgentRunner(Builder b) {
        this.home = AgentHome.open(b.home);
        this.credentials = home.credentials();
        this.clock = b.clock;
        this.client = new AggregatorClient(credentials, b.requestTimeout, clock, FedtuneVersion.get());
        this.metrics = b.metrics;
        this.listener = new MeteredListener(b.listener, metrics, this);
        this.stopWhen = b.stopWhen;
        this.pollWait = b.pollWait;
        this.heartbeatMax = b.heartbeatMax;
        this.backoffInitial = b.backoffInitial;
        this.backoffMax = b.backoffMax;
        this.ownTrainer = b.trainer == null ? LocalTrainers.lora() : null;
        this.executor = new TaskExecutor(
                home,
                client,
                b.trainer == null ? ownTrainer : b.trainer,
                new TaskExecutor.Settings(
                        b.dataFile,
                        b.modelDir,
                        b.trainerSettings,
                        b.backoffInitial,
                        b.backoffMax,
                        b.downloadAttempts,
                        b.uploadAttempts),
                clock,
                listener,
                stop);
    }

    /** A builder for the agent enrolled in {@code home}. */
    public static Builder builder(Path home) {
        return new Builder(home);
    }

    /** The credentials this runner uses (never printed with the secret). */
    public Credentials credentials() {
        return credentials;
    }

    /** Asks the loop to stop: training finishes its current step and checkpoints; waits end at once. */
    public void stop() {
        stop.requestStop();
    }

    /** The server's clock minus ours, from the last heartbeat. */
    public Duration serverClockSkew() {
        return serverClockSkew;
    }

    /** Runs the loop on the calling thread until it stops; see {@link StopReason}. */
    public Result run() {
        ScheduledExecutorService heartbeats = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread thread = new Thread(r, "fedtune-agent-heartbeat");
            thread.setDaemon(true);
            return thread;
        });
        Backoff backoff = new Backoff(backoffInitial, backoffMax, new Random());
        try {
            log.info(
                    "Agent {} ({}) of federation {} talks to {}",
                    credentials.name(),
                    credentials.clientId(),
                    credentials.federationId(),
                    credentials.server());
            setState("idle", null);
            heartbeats.scheduleWithFixedDelay(
                    this::heartbeatQuietly, heartbeatMax.toMillis(), heartbeatMax.toMillis(), TimeUnit.MILLISECONDS);
            while (true) {
                if (rejected != null) {
                    return end(StopReason.CREDENTIALS_REJECTED, rejected.getMessage());
                }
                if (stop.isStopRequested()) {
                    return end(StopReason.STOP_REQUESTED, "stopped on request");
                }
                try {
                    heartbeat();
                    if (federationStatus != null && isTerminal(federationStatus)) {
                        return end(
                                StopReason.FEDERATION_ENDED,
                                "the federation is " + federationStatus.name().toLowerCase());
                    }
                    Optional<TaskView> task = client.nextTask(pollWait);
                    backoff.reset();
                    if (task.isEmpty()) {
                        continue;
                    }
                    RoundEvent event = runTask(task.get());
                    if (event.outcome() != RoundEvent.Outcome.INTERRUPTED && stopWhen.test(event)) {
                        return end(StopReason.CONDITION_MET, "the stop condition holds after round " + event.round());
                    }
                } catch (CredentialsRejectedException e) {
                    rejected = e;
                } catch (ServerException | IOException e) {
                    Duration delay = backoff.next();
                    metrics.backoff();
                    listener.onNotice("The server did not answer as expected (" + e.getMessage() + "); retrying in "
                            + delay.toMillis() + " ms");
                    if (stop.await(delay)) {
                        return end(StopReason.STOP_REQUESTED, "stopped on request");
                    }
                }
            }
        } finally {
            heartbeats.shutdownNow();
            if (ownTrainer instanceof AutoCloseable closeable) {
                try {
                    closeable.close();
                } catch (Exception e) {
                    log.warn("Cannot release the trainer: {}", e.toString());
                }
            }
        }
    }

    private RoundEvent runTask(TaskView task) {
        log.info(
                "Round {} of federation {}: task received (deadline {})",
                task.round(),
                task.federationId(),
                task.deadline());
        listener.onTask(task);
        setState(
                "training round " + task.round(),
                new AgentStatus.CurrentTask(
                        task.federationId(), task.round(), task.attempt(), task.deadline(), "training"));
        RoundEvent event = executor.execute(task);
        rounds.add(event);
        AgentStatus status = home.status();
        home.saveStatus(status.withRound(
                new AgentStatus.RoundRecord(
                        event.federationId(),
                        event.round(),
                        event.outcome().name().toLowerCase(),
                        event.trainLoss(),
                        event.evalLoss(),
                        event.examples(),
                        event.bytesUp(),
                        event.bytesDown(),
                        event.detail(),
                        clock.instant()),
                clock.instant()));
        state = "idle";
        log.info(
                "Round {}: {} (train loss {}, holdout loss {}, {} B up, {} B down): {}",
                event.round(),
                event.outcome(),
                event.trainLoss(),
                event.evalLoss(),
                event.bytesUp(),
                event.bytesDown(),
                event.detail());
        listener.onRound(event);
        return event;
    }

    private Result end(StopReason reason, String message) {
        setState(reason == StopReason.CREDENTIALS_REJECTED ? "credentials rejected" : "stopped", null);
        log.info("Agent stops: {}", message);
        return new Result(reason, federationStatus, message, List.copyOf(rounds));
    }

    private void setState(String newState, AgentStatus.CurrentTask task) {
        state = newState;
        home.saveStatus(home.status().with(newState, task, clock.instant()));
    }

    private void heartbeat() throws IOException {
        HeartbeatResponse response = client.heartbeat(new HeartbeatRequest(FedtuneVersion.get(), state));
        federationStatus = response.federationStatus();
        if (response.serverTime() != null) {
            serverClockSkew = Duration.between(clock.instant(), response.serverTime());
        }
    }

    private void heartbeatQuietly() {
        try {
            heartbeat();
        } catch (CredentialsRejectedException e) {
            rejected = e;
        } catch (IOException | RuntimeException e) {
            log.debug("Heartbeat failed: {}", e.toString());
        }
    }

    private static boolean isTerminal(FederationStatus status) {
        return status == FederationStatus.COMPLETED
                || status == FederationStatus.FAILED
                || status == FederationStatus.CANCELLED;
    }

    /** Feeds the metrics and the status file, then the user's listener. */
    private record MeteredListener(AgentListener delegate, AgentMetrics metrics, AgentRunner runner)
            implements AgentListener {

        @Override
        public void onTask(TaskView task) {
            delegate.onTask(task);
        }

        @Override
        public void onStep(int step, int totalSteps, double loss, double tokensPerSecond, Duration eta) {
            metrics.step(-1, loss, tokensPerSecond);
            delegate.onStep(step, totalSteps, loss, tokensPerSecond, eta);
        }

        @Override
        public void onRound(RoundEvent event) {
            metrics.round(event);
            delegate.onRound(event);
        }

        @Override
        public void onNotice(String message) {
            log.warn(message);
            delegate.onNotice(message);
        }
    }

    /** Builds an {@link AgentRunner}: required {@code set…}, optional {@code opt…}. */
    public static final class Builder {
        private final Path home;
        private Path dataFile;
        private Path modelDir;
        private LocalTrainer trainer;
        private TrainerSettings trainerSettings = TrainerSettings.defaults();
        private AgentListener listener = new AgentListener() {};
        private Predicate<RoundEvent> stopWhen = event -> false;
        private Duration pollWait = Duration.ofSeconds(30);
        private Duration heartbeatMax = Duration.ofSeconds(30);
        private Duration backoffInitial = Duration.ofSeconds(1);
        private Duration backoffMax = Duration.ofMinutes(2);
        private Duration requestTimeout = Duration.ofSeconds(30);
        private int downloadAttempts = 8;
        private int uploadAttempts = 12;
        private Clock clock = Clock.systemUTC();
        private AgentMetrics metrics = new AgentMetrics();

        private Builder(Path home) {
            this.home = Objects.requireNonNull(home, "home");
        }

        /** The local JSONL training data; it never leaves this machine. */
        public Builder setDataFile(Path dataFile) {
            this.dataFile = dataFile;
            return this;
        }

        /** The base model's directory (Hugging Face layout). */
        public Builder setModelDir(Path modelDir) {
            this.modelDir = modelDir;
            return this;
        }

        /** The trainer; default: LoRA training with lora-trainer. */
        public Builder optTrainer(LocalTrainer trainer) {
            this.trainer = trainer;
            return this;
        }

        /** Device, threads, checkpoint interval, holdout share. */
        public Builder optTrainerSettings(TrainerSettings settings) {
            this.trainerSettings = Objects.requireNonNull(settings);
            return this;
        }

        public Builder optListener(AgentListener listener) {
            this.listener = Objects.requireNonNull(listener);
            return this;
        }

        /** Stops the loop after the first finished round for which this holds (besides the federation's end). */
        public Builder optStopWhen(Predicate<RoundEvent> condition) {
            this.stopWhen = Objects.requireNonNull(condition);
            return this;
        }

        /** How long one long-poll waits for a task (the server caps it at 30 s). */
        public Builder optPollWait(Duration wait) {
            this.pollWait = wait;
            return this;
        }

        /** The longest time between heartbeats. */
        public Builder optHeartbeatInterval(Duration interval) {
            this.heartbeatMax = interval;
            return this;
        }

        /** First and largest wait between retries. */
        public Builder optBackoff(Duration initial, Duration max) {
            this.backoffInitial = initial;
            this.backoffMax = max;
            return this;
        }

        public Builder optRequestTimeout(Duration timeout) {
            this.requestTimeout = timeout;
            return this;
        }

        /** Attempts for one adapter download and one upload before the task gives up (or is retried later). */
        public Builder optAttempts(int download, int upload) {
            this.downloadAttempts = download;
            this.uploadAttempts = upload;
            return this;
        }

        public Builder optClock(Clock clock) {
            this.clock = clock;
            return this;
        }

        public Builder optMetrics(AgentMetrics metrics) {
            this.metrics = metrics;
            return this;
        }

        /**
         * The runner.
         *
         * @throws io.fedtune.agent.home.AgentHomeException when the home has no credentials
         * @throws IllegalStateException when the data file or model directory is missing
         */
        public AgentRunner build() {
            if (dataFile == null) {
                throw new IllegalStateException("the agent needs a data file (setDataFile / --data)");
            }
            if (trainer == null && modelDir == null) {
                throw new IllegalStateException("the agent needs a base model directory (setModelDir / --model)");
            }
            return new AgentRunner(this);
        }
    }

    static Instant now(Clock clock) {
        return clock.instant();
    }
}
