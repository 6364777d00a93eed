package io.fedtune.agent.task;

import io.fedtune.agent.AgentListener;
import io.fedtune.agent.RoundEvent;
import io.fedtune.agent.RoundEvent.Outcome;
import io.fedtune.agent.home.AgentHome;
import io.fedtune.agent.net.AggregatorClient;
import io.fedtune.agent.net.Backoff;
import io.fedtune.agent.net.CredentialsRejectedException;
import io.fedtune.agent.net.ServerException;
import io.fedtune.agent.train.LocalTrainer;
import io.fedtune.agent.train.LocalTrainingException;
import io.fedtune.agent.train.LocalTrainingRequest;
import io.fedtune.agent.train.LocalTrainingResult;
import io.fedtune.agent.train.StopSignal;
import io.fedtune.agent.train.TrainerSettings;
import io.fedtune.protocol.api.FailureReason;
import io.fedtune.protocol.api.FailureReport;
import io.fedtune.protocol.api.TaskView;
import io.fedtune.protocol.api.UpdateMetadata;
import io.fedtune.protocol.api.UpdateReceipt;
import io.fedtune.protocol.checksum.ContentDigest;
import io.fedtune.protocol.checksum.Sha256;
import io.fedtune.protocol.safetensors.FloatTensor;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Carries one task from download to upload, leaving each finished step on disk in the task's directory so a
 * restarted agent picks up where it stopped: the verified adapter, the trainer's checkpoints, the encoded update
 * with its metadata. Uploading the same encoded bytes again is a no-op on the server, so a crash between upload and
 * cleanup is harmless. Anything that cannot produce an update is reported to the aggregator with its reason.
 */
public final class TaskExecutor {

    private static final Logger log = LoggerFactory.getLogger(TaskExecutor.class);

    /** Where the task needs to go and how hard to try. */
    public record Settings(
            Path dataFile,
            Path modelDir,
            TrainerSettings trainer,
            Duration backoffInitial,
            Duration backoffMax,
            int downloadAttempts,
            int uploadAttempts) {}

    private final AgentHome home;
    private final AggregatorClient client;
    private final LocalTrainer trainer;
    private final Settings settings;
    private final Clock clock;
    private final AgentListener listener;
    private final StopSignal stop;
    private final Random noise;
    private final Random jitter = new Random();

    public TaskExecutor(
            AgentHome home,
            AggregatorClient client,
            LocalTrainer trainer,
            Settings settings,
            Clock clock,
            AgentListener listener,
            StopSignal stop) {
        this(home, client, trainer, settings, clock, listener, stop, new SecureRandom());
    }

    TaskExecutor(
            AgentHome home,
            AggregatorClient client,
            LocalTrainer trainer,
            Settings settings,
            Clock clock,
            AgentListener listener,
            StopSignal stop,
            Random noise) {
        this.home = home;
        this.client = client;
        this.trainer = trainer;
        this.settings = settings;
        this.clock = clock;
        this.listener = listener;
        this.stop = stop;
        this.noise = noise;
    }

    /** A task that cannot go on, with the reason to report. */
    static final class TaskFailure extends Exception {
        final FailureReason reason;

        TaskFailure(FailureReason reason, String message) {
            super(message);
            this.reason = reason;
        }
    }

    /** A task that ends without a report: stop requested, or the round closed. */
    static final class TaskEnd extends Exception {
        final Outcome outcome;

        TaskEnd(Outcome outcome, String message) {
            super(message);
            this.outcome = outcome;
        }
    }

    /** Persisted once the update is encoded: what to upload. */
    record EncodedUpdate(UpdateMetadata metadata, double trainLoss, double evalLoss, int steps, long bytesDown) {}

    /**
     * Runs the task to its end.
     *
     * @throws CredentialsRejectedException when the server refuses this agent: the caller stops
     */
    public RoundEvent execute(TaskView task) {
        Path dir = home.taskDirectory(task.federationId(), task.round(), task.attempt());
        home.writeJson(dir.resolve("task.json"), task);
        long downBefore = client.bytesDown();
        long upBefore = client.bytesUp();
        Instant started = clock.instant();
        double trainLoss = Double.NaN;
        double evalLoss = Double.NaN;
        int steps = 0;
        long examples = 0;
        try {
            Path body = dir.resolve("update.safetensors");
            EncodedUpdate encoded = AgentHome.readJson(dir.resolve("update.json"), EncodedUpdate.class)
                    .filter(e -> Files.isRegularFile(body)
                            && matches(body, e.metadata().sha256()))
                    .orElse(null);
            boolean resumed = encoded != null;
            if (!resumed) {
                encoded = trainAndEncode(task, dir, body);
            } else {
                log.info("Round {}: resuming the upload of the update encoded before the restart", task.round());
            }
            trainLoss = encoded.trainLoss();
            evalLoss = encoded.evalLoss();
            steps = encoded.steps();
            examples = encoded.metadata().exampleCount();
            UpdateReceipt receipt = upload(task, body, encoded.metadata());
            // Top-k error feedback: what this update left out replaces the kept residual only once the update is
            // accepted, so a crash or a refused upload never loses or repeats a part of the delta.
            Path stagedResidual = dir.resolve("residual.safetensors");
            if (Files.isRegularFile(stagedResidual)) {
                home.adoptResidual(task.federationId(), stagedResidual);
            }
            home.pruneTasks(null);
            return event(
                    task,
                    Outcome.UPLOADED,
                    trainLoss,
                    evalLoss,
                    examples,
                    steps,
                    client.bytesUp() - upBefore,
                    client.bytesDown() - downBefore + (resumed ? encoded.bytesDown() : 0),
                    started,
                    "accepted, sha256 " + receipt.sha256() + (receipt.duplicate() ? " (already there)" : ""));
        } catch (TaskEnd end) {
            if (end.outcome == Outcome.ABANDONED) {
                home.pruneTasks(null);
            }
            listener.onNotice("Round " + task.round() + ": " + end.getMessage());
            return event(
                    task,
                    end.outcome,
                    trainLoss,
                    evalLoss,
                    examples,
                    steps,
                    client.bytesUp() - upBefore,
                    client.bytesDown() - downBefore,
                    started,
                    end.getMessage());
        } catch (CredentialsRejectedException | ServerException e) {
            throw e; // the runner stops, or backs off and polls the same task again
        } catch (RuntimeException e) {
            // An engine error, a full disk, a corrupt file: report it instead of dying and crash-looping on the task.
            log.error("Round {}: unexpected local error", task.round(), e);
            TaskFailure failure = new TaskFailure(
                    FailureReason.OTHER, "unexpected local error (details in the agent's log on its machine)");
            return failed(task, failure, trainLoss, evalLoss, examples, steps, upBefore, downBefore, started);
        } catch (TaskFailure failure) {
            return failed(task, failure, trainLoss, evalLoss, examples, steps, upBefore, downBefore, started);
        }
    }

    /** Reports a failed task to the server, forgets its files, and says what happened. */
    private RoundEvent failed(
            TaskView task,
            TaskFailure failure,
            double trainLoss,
            double evalLoss,
            long examples,
            int steps,
            long upBefore,
            long downBefore,
            Instant started) {
        report(task, failure.reason, failure.getMessage());
        home.pruneTasks(null);
        return event(
                task,
                Outcome.FAILED,
                trainLoss,
                evalLoss,
                examples,
                steps,
                client.bytesUp() - upBefore,
                client.bytesDown() - downBefore,
                started,
                failure.reason.name().toLowerCase() + ": " + failure.getMessage());
    }

    private EncodedUpdate trainAndEncode(TaskView task, Path dir, Path body) throws TaskFailure, TaskEnd {
        long downBefore = client.bytesDown();
        Path adapterFile = download(task, dir);
        long bytesDown = client.bytesDown() - downBefore;
        Map<String, FloatTensor> global = AgentHome.readTensors(adapterFile);
        requireBeforeDeadline(task, "before training");
        if (!Files.isRegularFile(settings.dataFile()) || !Files.isReadable(settings.dataFile())) {
            log.warn("Round {}: the data file {} is missing or unreadable", task.round(), settings.dataFile());
            throw new TaskFailure(
                    FailureReason.DATA_ERROR, "the local data file is missing or unreadable (see the agent's log)");
        }
        if (sizeOf(settings.dataFile()) == 0) {
            log.warn("Round {}: the data file {} is empty", task.round(), settings.dataFile());
            throw new TaskFailure(FailureReason.DATA_ERROR, "the local data file is empty");
        }
        LocalTrainingRequest request = new LocalTrainingRequest(
                task.federationId(),
                task.round(),
                task.peft(),
                task.training(),
                task.loraMode(),
                task.seed(),
                global,
                settings.dataFile(),
                settings.modelDir(),
                home.directory(dir.resolve("checkpoint")),
                settings.trainer());
        Instant trainingStart = clock.instant();
        LocalTrainingResult result;
        try {
            result = trainer.train(request, listener::onStep, stop);
        } catch (LocalTrainingException e) {
            log.warn("Round {}: local training failed: {}", task.round(), e.getMessage());
            // Data errors can quote the data; the admin hears only that there was one.
            throw new TaskFailure(
                    e.reason(),
                    e.reason() == FailureReason.DATA_ERROR
                            ? "the local data could not be used (details in the agent's log on the data owner's machine)"
                            : sanitize(e.getMessage()));
        } catch (OutOfMemoryError e) {
            throw new TaskFailure(FailureReason.OUT_OF_MEMORY, "local training ran out of memory");
        }
        long trainingMillis = Duration.between(trainingStart, clock.instant()).toMillis();
        if (result.interrupted()) {
            throw new TaskEnd(Outcome.INTERRUPTED, "training stopped at step " + result.steps() + " and checkpointed");
        }
        if (!Double.isFinite(result.finalLoss())) {
            throw new TaskFailure(FailureReason.DIVERGED, "the training loss became " + result.finalLoss());
        }
        if (result.exampleCount() < 1) {
            throw new TaskFailure(FailureReason.DATA_ERROR, "no training examples in the local data");
        }
        requireBeforeDeadline(task, "after training");
        UpdateEncoding.Prepared prepared;
        try {
            prepared = UpdateEncoding.prepare(
                    task.loraMode(),
                    task.privacy(),
                    task.codec(),
                    global,
                    result.adapter(),
                    home.residual(task.federationId()).orElse(null),
                    noise);
        } catch (IllegalArgumentException e) {
            throw new TaskFailure(FailureReason.DIVERGED, e.getMessage());
        }
        ContentDigest digest;
        try {
            digest = prepared.codec().encode(prepared.tensors(), body);
            AgentHome.restrict(body);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot write the encoded update " + body, e);
        } catch (RuntimeException e) {
            throw new TaskFailure(FailureReason.DIVERGED, "the update cannot be encoded: " + e.getMessage());
        }
        Map<String, Double> metrics = new LinkedHashMap<>();
        putFinite(metrics, "train_loss", result.finalLoss());
        putFinite(metrics, "train_loss_first", result.firstLoss());
        putFinite(metrics, "eval_loss", result.holdoutLoss());
        metrics.put("steps", (double) result.steps());
        metrics.put("tokens", (double) result.tokens());
        metrics.put("upload_bytes", (double) digest.byteCount());
        metrics.put("download_bytes", (double) bytesDown);
        UpdateMetadata metadata = new UpdateMetadata(
                result.exampleCount(),
                digest.sha256(),
                prepared.wireCodec(),
                task.globalAdapter().version(),
                metrics,
                trainingMillis,
                prepared.localDp());
        EncodedUpdate encoded =
                new EncodedUpdate(metadata, result.finalLoss(), result.holdoutLoss(), result.steps(), bytesDown);
        if (prepared.residual() != null) {
            home.writeTensors(dir.resolve("residual.safetensors"), prepared.residual());
        }
        home.writeJson(dir.resolve("update.json"), encoded);
        return encoded;
    }

    private static long sizeOf(Path file) {
        try {
            return Files.size(file);
        } catch (IOException e) {
            return -1;
        }
    }

    private static void putFinite(Map<String, Double> metrics, String key, double value) {
        if (Double.isFinite(value)) {
            metrics.put(key, value);
        }
    }

    /**
     * Downloads the global adapter into the task directory, resuming a partial file, and checks its SHA-256. A
     * mismatch deletes the file and downloads once more; a second mismatch fails the task.
     */
    private Path download(TaskView task, Path dir) throws TaskFailure, TaskEnd {
        Path target = dir.resolve("adapter.safetensors");
        String expected = task.globalAdapter().sha256();
        if (Files.isRegularFile(target) && matches(target, expected)) {
            return target;
        }
        Path part = dir.resolve("adapter.safetensors.part");
        Backoff backoff = new Backoff(settings.backoffInitial(), settings.backoffMax(), jitter);
        int mismatches = 0;
        String lastError = null;
        for (int attempt = 1; attempt <= settings.downloadAttempts(); attempt++) {
            if (stop.isStopRequested()) {
                throw new TaskEnd(Outcome.INTERRUPTED, "stopped while downloading the global adapter");
            }
            requireBeforeDeadline(task, "while downloading");
            try {
                String announced = client.download(task.globalAdapter().downloadPath(), part);
                ContentDigest got = Sha256.of(part);
                if (Sha256.equalsConstantTime(got.sha256(), expected)
                        && (announced == null || Sha256.equalsConstantTime(announced, expected))) {
                    AgentHome.move(part, target);
                    return target;
                }
                Files.deleteIfExists(part);
                mismatches++;
                lastError = "the global adapter v" + task.globalAdapter().version() + " has SHA-256 " + got.sha256()
                        + " (" + got.byteCount() + " bytes) but the task announced " + expected;
                log.warn("Round {}: {} (mismatch {} of 2)", task.round(), lastError, mismatches);
                if (mismatches >= 2) {
                    throw new TaskFailure(
                            FailureReason.DOWNLOAD_FAILED, "checksum mismatch after a re-download: " + lastError);
                }
                continue;
            } catch (ServerException e) {
                if (!e.retryable()) {
                    throw new TaskFailure(FailureReason.DOWNLOAD_FAILED, e.getMessage());
                }
                lastError = e.getMessage();
            } catch (IOException e) {
                lastError = e.toString();
            }
            Duration delay = backoff.next();
            listener.onNotice("Adapter download failed (" + lastError + "); retrying in " + delay.toMillis() + " ms");
            if (stop.await(delay)) {
                throw new TaskEnd(Outcome.INTERRUPTED, "stopped while downloading the global adapter");
            }
        }
        throw new TaskFailure(
                FailureReason.DOWNLOAD_FAILED,
                "the global adapter could not be downloaded in " + settings.downloadAttempts() + " attempts: "
                        + lastError);
    }

    private static boolean matches(Path file, String expected) {
        try {
            return Sha256.equalsConstantTime(Sha256.of(file).sha256(), expected);
        } catch (IOException e) {
            return false;
        }
    }

    private UpdateReceipt upload(TaskView task, Path body, UpdateMetadata metadata) throws TaskFailure, TaskEnd {
        Backoff backoff = new Backoff(settings.backoffInitial(), settings.backoffMax(), jitter);
        String lastError = null;
        for (int attempt = 1; attempt <= settings.uploadAttempts(); attempt++) {
            try {
                return client.upload(task.uploadPath(), body, metadata);
            } catch (ServerException e) {
                if (e.status() == 409) {
                    if ("update-conflict".equals(e.problemType())) {
                        throw new TaskFailure(FailureReason.OTHER, e.getMessage());
                    }
                    throw new TaskEnd(Outcome.ABANDONED, "the round no longer takes this update: " + e.getMessage());
                }
                if (e.status() == 404 || e.status() == 403) {
                    throw new TaskEnd(Outcome.ABANDONED, e.getMessage());
                }
                if (!e.retryable()) {
                    throw new TaskFailure(FailureReason.OTHER, "the server refused the update: " + e.getMessage());
                }
                lastError = e.getMessage();
            } catch (IOException e) {
                lastError = e.toString();
            }
            if (task.deadline() != null && clock.instant().isAfter(task.deadline())) {
                throw new TaskEnd(Outcome.ABANDONED, "the round's deadline passed while uploading: " + lastError);
            }
            Duration delay = backoff.next();
            listener.onNotice("Upload failed (" + lastError + "); retrying in " + delay.toMillis() + " ms");
            if (stop.await(delay)) {
                throw new TaskEnd(Outcome.INTERRUPTED, "stopped while uploading; the encoded update is kept");
            }
        }
        throw new TaskEnd(
                Outcome.INTERRUPTED,
                "the update could not be uploaded in " + settings.uploadAttempts()
                        + " attempts; it is kept and tried again: " + lastError);
    }

    private void requireBeforeDeadline(TaskView task, String when) throws TaskFailure {
        if (task.deadline() != null && clock.instant().isAfter(task.deadline())) {
            throw new TaskFailure(
                    FailureReason.DEADLINE, "the round's deadline " + task.deadline() + " passed " + when);
        }
    }

    private void report(TaskView task, FailureReason reason, String message) {
        Backoff backoff = new Backoff(settings.backoffInitial(), settings.backoffMax(), jitter);
        for (int attempt = 1; attempt <= 5; attempt++) {
            try {
                client.reportFailure(task.failurePath(), new FailureReport(reason, truncate(message)));
                log.warn("Round {}: reported failure {}: {}", task.round(), reason, message);
                return;
            } catch (ServerException e) {
                if (!e.retryable()) {
                    log.warn("Round {}: the failure report was refused: {}", task.round(), e.getMessage());
                    return;
                }
            } catch (IOException e) {
                log.warn("Round {}: failure report not delivered yet: {}", task.round(), e.toString());
            }
            if (stop.await(backoff.next())) {
                return;
            }
        }
    }

    /** Failure messages go to the admin: keep them short and free of file contents. */
    /** One line, no local file paths (they name the data owner's directories), bounded. */
    private static String sanitize(String message) {
        String line = message == null ? "" : message.replaceAll("[\\r\\n]+", " ");
        return truncate(LOCAL_PATH.matcher(line).replaceAll("<local path>"));
    }

    private static final java.util.regex.Pattern LOCAL_PATH =
            java.util.regex.Pattern.compile("(?<=^|[\\s'\"(=])(?:[A-Za-z]:)?[/\\\\][^\\s'\")]*");

    private static String truncate(String message) {
        return message.length() > 1900 ? message.substring(0, 1900) + "…" : message;
    }

    private RoundEvent event(
            TaskView task,
            Outcome outcome,
            double trainLoss,
            double evalLoss,
            long examples,
            int steps,
            long up,
            long down,
            Instant started,
            String detail) {
        return new RoundEvent(
                task.federationId(),
                task.round(),
                outcome,
                trainLoss,
                evalLoss,
                examples,
                steps,
                up,
                down,
                Duration.between(started, clock.instant()),
                detail);
    }
}
