package io.fedtune.trainer.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.training.GradientCollector;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.fedtune.protocol.safetensors.FloatTensor;
import io.fedtune.trainer.data.TokenizedExample;
import io.fedtune.trainer.eval.Evaluator;
import io.fedtune.trainer.model.PretrainedModel;
import io.fedtune.trainer.peft.Adapter;
import io.fedtune.trainer.peft.PeftKind;
import io.fedtune.trainer.peft.PeftState;
import io.fedtune.trainer.support.AtomicDirectory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Fine-tunes a PEFT adapter on a frozen model: masked causal-LM loss on response tokens, AdamW with warm-up and
 * decay, global-norm clipping, gradient accumulation, the FedProx proximal term, checkpoints and resume.
 *
 * <p>Runs are serialised JVM-wide: DJL's PyTorch engine allows one open {@link GradientCollector} per process, and
 * the demo runs several agents in one JVM. A run holds the lock from its first step to its result.
 *
 * <p>Determinism: with the same seed, data, config and initial adapter, a run on the same machine and thread count
 * gives the same adapter bytes (data order and dropout derive from the seed and the step number only, so a resumed run
 * matches an uninterrupted one).
 */
public final class FineTuner {
    private static final ReentrantLock TRAINING = new ReentrantLock(true);
    private static final String STATE = "state.json";
    private static final String OPTIMIZER = "optimizer.safetensors";
    private static final String ADAPTER = "adapter";

    private FineTuner() {}

    /**
     * Runs the job on the calling thread.
     *
     * @throws TrainingDivergedException when the loss or the gradient of a step is not finite (nothing of that step is
     *     applied or checkpointed)
     * @throws IllegalArgumentException when no example keeps a response token after truncation, or an example has
     *     token ids outside the vocabulary
     */
    public static TrainingResult train(TrainingJob job) {
        TrainingConfig cfg = job.config();
        PretrainedModel model = job.model();
        int virtual = job.peft().kind() == PeftKind.PROMPT_TUNING ? job.peft().virtualTokens() : 0;
        List<TokenizedExample> data = prepare(job.trainData(), model, cfg.maxLength(), virtual, "training");
        List<TokenizedExample> holdout = job.holdoutData().isEmpty()
                ? List.of()
                : prepare(job.holdoutData(), model, cfg.maxLength(), virtual, "holdout");
        BatchPlan plan = new BatchPlan(data.size(), cfg);
        int totalSteps = plan.totalSteps();
        String fingerprint = fingerprint(job, data);

        TRAINING.lock();
        try (PeftState peft = job.initialAdapter() == null
                        ? PeftState.create(model, job.peft())
                        : PeftState.of(model, job.initialAdapter());
                NDManager anchorsManager = model.manager().newSubManager()) {
            Map<String, NDArray> anchors = null;
            if (cfg.proximalMu() > 0) {
                anchors = new LinkedHashMap<>();
                for (Map.Entry<String, NDArray> e : peft.trainable().entrySet()) {
                    NDArray copy = e.getValue().duplicate();
                    NDScope.unregister(copy);
                    copy.attach(anchorsManager);
                    copy.setRequiresGradient(false);
                    anchors.put(e.getKey(), copy);
                }
            }
            try (AdamW optimizer = new AdamW(peft.trainable(), anchors, model.manager())) {
                int step = 0;
                double firstLoss = Double.NaN;
                double lastLoss = Double.NaN;
                if (job.checkpointDir() != null) {
                    JsonObject resumed = resume(job.checkpointDir(), fingerprint, peft, optimizer);
                    if (resumed != null) {
                        step = resumed.get("step").getAsInt();
                        firstLoss = resumed.get("firstLoss").getAsDouble();
                        lastLoss = resumed.get("lastLoss").getAsDouble();
                    }
                }
                int startStep = step;
                long tokens = 0;
                long started = System.nanoTime();
                boolean interrupted = false;
                while (step < totalSteps) {
                    List<List<Integer>> micro = plan.microBatches(step);
                    List<CausalLmBatch> batches = new ArrayList<>();
                    long scored = 0;
                    for (List<Integer> indices : micro) {
                        List<TokenizedExample> examples = new ArrayList<>(indices.size());
                        indices.forEach(i -> examples.add(data.get(i)));
                        CausalLmBatch batch = CausalLmBatch.of(examples);
                        batches.add(batch);
                        scored += batch.scoredCount();
                        tokens += batch.tokens();
                    }
                    if (peft.config().dropout() > 0) {
                        Engine.getInstance().setRandomSeed((int) (cfg.seed() * 1_000_003L + step));
                    }
                    double loss = 0;
                    try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                        for (CausalLmBatch batch : batches) {
                            try (NDScope scope = new NDScope();
                                    NDManager scratch = model.manager().newSubManager()) {
                                NDArray nll = batch.nllSum(scratch, model, peft, true);
                                // not div(Number): its scalar is freed before backward reads it (see Decoder.constant)
                                NDArray scaled = nll.div(scratch.create((float) scored));
                                collector.backward(scaled);
                                loss += scaled.getFloat();
                            }
                        }
                    }
                    if (!Double.isFinite(loss)) {
                        throw new TrainingDivergedException(step + 1, "training loss", loss);
                    }
                    double lr = cfg.schedule().rate(cfg.learningRate(), step, totalSteps, cfg.warmupSteps());
                    // throws TrainingDivergedException, before any update, when the gradient is not finite even
                    // though the loss was: the adapter and its checkpoints never receive NaN
                    optimizer.step(lr, cfg.weightDecay(), cfg.clipNorm(), cfg.proximalMu());
                    step++;
                    if (Double.isNaN(firstLoss)) {
                        firstLoss = loss;
                    }
                    lastLoss = loss;
                    double seconds = Math.max(1e-9, (System.nanoTime() - started) / 1e9);
                    double perSecond = tokens / seconds;
                    long etaMillis = (long) (seconds / Math.max(1, step - startStep) * (totalSteps - step) * 1000);
                    job.listener()
                            .onStep(new TrainingProgress(
                                    step, totalSteps, loss, perSecond, Duration.ofMillis(etaMillis)));
                    boolean stop = job.control().stopRequested() && step < totalSteps;
                    if (job.checkpointDir() != null
                            && (step % job.checkpointEvery() == 0 || stop || step == totalSteps)) {
                        checkpoint(job.checkpointDir(), fingerprint, step, firstLoss, lastLoss, peft, optimizer, model);
                    }
                    if (stop) {
                        interrupted = true;
                        break;
                    }
                }
                OptionalDouble holdoutLoss = holdout.isEmpty()
                        ? OptionalDouble.empty()
                        : OptionalDouble.of(Evaluator.evaluate(model, peft, holdout, cfg.batchSize())
                                .loss());
                return new TrainingResult(
                        peft.toAdapter(), step, tokens, firstLoss, lastLoss, holdoutLoss, interrupted);
            }
        } finally {
            TRAINING.unlock();
        }
    }

    /** Truncates to {@code maxLength}, drops examples left without a response token, and checks ids. */
    public static List<TokenizedExample> prepare(
            List<TokenizedExample> examples, PretrainedModel model, int maxLength, int virtualTokens, String what) {
        int limit = Math.min(maxLength, model.config().maxPositions() - virtualTokens);
        List<TokenizedExample> kept = new ArrayList<>(examples.size());
        for (int i = 0; i < examples.size(); i++) {
            TokenizedExample e = examples.get(i);
            try {
                model.checkVocabulary(e.tokens());
            } catch (IllegalArgumentException ex) {
                throw new IllegalArgumentException(what + " example " + i + ": " + ex.getMessage(), ex);
            }
            e.truncate(limit).ifPresent(kept::add);
        }
        if (kept.isEmpty()) {
            throw new IllegalArgumentException("no " + what + " example keeps a response token within " + limit
                    + " tokens (" + examples.size() + " examples given)");
        }
        return kept;
    }

    private static String fingerprint(TrainingJob job, List<TokenizedExample> data) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            digest.update(job.model().config().toString().getBytes(StandardCharsets.UTF_8));
            digest.update(job.peft().toString().getBytes(StandardCharsets.UTF_8));
            digest.update(job.config().toString().getBytes(StandardCharsets.UTF_8));
            ByteBuffer buffer = ByteBuffer.allocate(8);
            for (TokenizedExample e : data) {
                buffer.clear();
                buffer.putInt(e.tokens().length).putInt(e.promptLength());
                digest.update(buffer.array());
                for (int id : e.tokens()) {
                    buffer.clear();
                    buffer.putInt(id);
                    digest.update(buffer.array(), 0, 4);
                }
            }
            if (job.initialAdapter() != null) {
                for (Map.Entry<String, FloatTensor> e :
                        job.initialAdapter().tensors().entrySet()) {
                    digest.update(e.getKey().getBytes(StandardCharsets.UTF_8));
                    for (float f : e.getValue().values()) {
                        buffer.clear();
                        buffer.putFloat(f);
                        digest.update(buffer.array(), 0, 4);
                    }
                }
            }
            return HexFormat.of().formatHex(digest.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void checkpoint(
            Path dir,
            String fingerprint,
            int step,
            double firstLoss,
            double lastLoss,
            PeftState peft,
            AdamW optimizer,
            PretrainedModel model) {
        Adapter adapter = peft.toAdapter();
        AtomicDirectory.replace(dir, staging -> {
            Path adapterDir = staging.resolve(ADAPTER);
            Files.createDirectory(adapterDir);
            adapter.writeFiles(adapterDir, model.directory().toString());
            optimizer.save(staging.resolve(OPTIMIZER));
            JsonObject state = new JsonObject();
            state.addProperty("fingerprint", fingerprint);
            state.addProperty("step", step);
            state.addProperty("firstLoss", firstLoss);
            state.addProperty("lastLoss", lastLoss);
            Files.writeString(staging.resolve(STATE), state + "\n", StandardCharsets.UTF_8);
        });
    }

    /** Restores the adapter and optimizer from a checkpoint of this same job; returns its state, or null. */
    private static JsonObject resume(Path dir, String fingerprint, PeftState peft, AdamW optimizer) {
        AtomicDirectory.recover(dir);
        Path stateFile = dir.resolve(STATE);
        if (!Files.isRegularFile(stateFile)) {
            return null;
        }
        try {
            JsonObject state = JsonParser.parseString(Files.readString(stateFile, StandardCharsets.UTF_8))
                    .getAsJsonObject();
            if (!fingerprint.equals(state.get("fingerprint").getAsString())) {
                return null;
            }
            Adapter adapter = Adapter.read(dir.resolve(ADAPTER));
            peft.load(adapter);
            optimizer.load(dir.resolve(OPTIMIZER));
            return state;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot resume from " + dir, e);
        } catch (RuntimeException e) {
            throw new IllegalStateException(
                    "checkpoint in " + dir + " is unreadable (" + e.getMessage() + "); delete it to start over", e);
        }
    }
}
