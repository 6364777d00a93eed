package io.fedtune.agent.train;

import ai.djl.Device;
import ai.djl.engine.Engine;
import io.fedtune.protocol.api.FailureReason;
import io.fedtune.protocol.api.LoraMode;
import io.fedtune.protocol.api.PeftMethod;
import io.fedtune.protocol.api.PeftSpec;
import io.fedtune.protocol.api.TargetModule;
import io.fedtune.protocol.api.TrainingSpec;
import io.fedtune.trainer.data.DataFormatException;
import io.fedtune.trainer.data.DataOptions;
import io.fedtune.trainer.data.JsonlDataset;
import io.fedtune.trainer.data.Split;
import io.fedtune.trainer.data.TextExample;
import io.fedtune.trainer.data.TokenizedExample;
import io.fedtune.trainer.model.LoadOptions;
import io.fedtune.trainer.model.ModelLoadException;
import io.fedtune.trainer.model.PretrainedModel;
import io.fedtune.trainer.peft.Adapter;
import io.fedtune.trainer.peft.PeftConfig;
import io.fedtune.trainer.peft.PeftKind;
import io.fedtune.trainer.text.TextTokenizer;
import io.fedtune.trainer.train.FineTuner;
import io.fedtune.trainer.train.Schedule;
import io.fedtune.trainer.train.TrainingConfig;
import io.fedtune.trainer.train.TrainingControl;
import io.fedtune.trainer.train.TrainingJob;
import io.fedtune.trainer.train.TrainingResult;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Local training with lora-trainer (DJL, PyTorch engine): reads the JSONL data, keeps a fixed holdout share out of
 * training, trains LoRA (FFA-LoRA with A frozen at the global A when the task's LoRA mode is {@code ffa}, or prompt
 * tuning) from the global adapter with the task's hyper-parameters, checkpoints every N steps in the task's
 * checkpoint directory (and resumes from there), and evaluates on the holdout. The base model stays loaded between
 * tasks. Training is serialised JVM-wide by {@link FineTuner}.
 */
public final class LoraLocalTrainer implements LocalTrainer, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(LoraLocalTrainer.class);

    /** The holdout split's seed: fixed, so the same examples stay out of training in every round. */
    static final long HOLDOUT_SEED = 0x5EEDL;

    private PretrainedModel model;
    private Path modelDir;

    @Override
    public synchronized LocalTrainingResult train(
            LocalTrainingRequest request, TrainingProgressListener listener, StopSignal stop)
            throws LocalTrainingException {
        if (request.loraMode() == LoraMode.STACK) {
            throw new LocalTrainingException(
                    FailureReason.OTHER, "LoRA mode stack is not supported by this agent; use fedit, ffa or exact");
        }
        if (request.modelDir() == null) {
            throw new LocalTrainingException(FailureReason.OTHER, "no base model directory was configured (--model)");
        }
        TrainerSettings settings = request.settings();
        PretrainedModel loaded = model(request.modelDir(), settings);
        TextTokenizer tokenizer = loaded.tokenizer()
                .orElseThrow(() -> new LocalTrainingException(
                        FailureReason.OTHER, "the base model directory has no tokenizer.json"));
        TrainingSpec spec = request.training();
        List<TokenizedExample> train;
        List<TokenizedExample> holdout;
        try {
            DataOptions options = DataOptions.defaults()
                    .withHoldoutFraction(settings.holdoutFraction())
                    .withSeed(HOLDOUT_SEED);
            JsonlDataset dataset = JsonlDataset.read(request.dataFile(), options);
            Split<TextExample> split = dataset.split(options);
            train = JsonlDataset.tokenize(split.train(), tokenizer, spec.maxSequenceLength());
            holdout = split.holdout().isEmpty()
                    ? List.of()
                    : JsonlDataset.tokenize(split.holdout(), tokenizer, spec.maxSequenceLength());
        } catch (DataFormatException e) {
            throw new LocalTrainingException(FailureReason.DATA_ERROR, e.getMessage(), e);
        }
        if (train.isEmpty()) {
            throw new LocalTrainingException(FailureReason.DATA_ERROR, "no training examples after the holdout split");
        }
        PeftConfig peft = peftConfig(request.peft(), request.loraMode(), request.seed());
        TrainingConfig config = new TrainingConfig(
                spec.localEpochs(),
                spec.maxSteps(),
                spec.batchSize(),
                1,
                spec.learningRate(),
                spec.weightDecay(),
                0,
                Schedule.CONSTANT,
                spec.gradientClipNorm(),
                spec.proximalMu(),
                Math.max(2, spec.maxSequenceLength()),
                request.seed());
        TrainingControl control = new TrainingControl();
        if (stop.isStopRequested()) {
            control.requestStop();
        }
        TrainingResult result;
        java.util.concurrent.atomic.AtomicBoolean first = new java.util.concurrent.atomic.AtomicBoolean(true);
        try {
            TrainingJob job = TrainingJob.builder()
                    .setModel(loaded)
                    .setPeft(peft)
                    .setTrainData(train)
                    .optHoldoutData(holdout)
                    .optConfig(config)
                    .optInitialAdapter(new Adapter(peft, request.globalAdapter()))
                    .optCheckpoint(request.checkpointDir(), settings.checkpointEverySteps())
                    .optListener(p -> {
                        if (first.getAndSet(false)) {
                            log.info(
                                    "Round {}: training from step {} of {}{}",
                                    request.round(),
                                    p.step(),
                                    p.totalSteps(),
                                    p.step() > 1 ? " (resumed from the checkpoint)" : "");
                        }
                        listener.onStep(p.step(), p.totalSteps(), p.loss(), p.tokensPerSecond(), p.eta());
                        if (stop.isStopRequested()) {
                            control.requestStop();
                        }
                    })
                    .optControl(control)
                    .build();
            result = FineTuner.train(job);
        } catch (IllegalStateException e) {
            throw new LocalTrainingException(FailureReason.DIVERGED, e.getMessage(), e);
        } catch (IllegalArgumentException e) {
            throw new LocalTrainingException(FailureReason.DATA_ERROR, e.getMessage(), e);
        } catch (OutOfMemoryError e) {
            throw new LocalTrainingException(FailureReason.OUT_OF_MEMORY, "out of memory while training", e);
        }
        return new LocalTrainingResult(
                result.adapter().tensors(),
                train.size(),
                result.steps(),
                result.tokens(),
                result.firstLoss(),
                result.finalLoss(),
                result.holdoutLoss().orElse(Double.NaN),
                result.interrupted());
    }

    private PretrainedModel model(Path dir, TrainerSettings settings) throws LocalTrainingException {
        Path normalized = dir.toAbsolutePath().normalize();
        if (model != null && normalized.equals(modelDir)) {
            return model;
        }
        if (model != null) {
            model.close();
            model = null;
        }
        if (System.getProperty("ai.djl.offline") == null && System.getenv("DJL_OFFLINE") == null) {
            System.setProperty("ai.djl.offline", "true");
        }
        Device device = device(settings.device());
        LoadOptions options = new LoadOptions(device, LoadOptions.defaults().memoryBudgetBytes());
        if (settings.memoryBudgetBytes() > 0) {
            options = options.withMemoryBudget(settings.memoryBudgetBytes());
        }
        if (settings.threads() > 0) {
            setThreads(settings.threads());
        }
        try {
            model = PretrainedModel.load(normalized, options);
            modelDir = normalized;
            log.info("Loaded {} ({} parameters) on {}", normalized, model.parameterCount(), device);
            return model;
        } catch (ModelLoadException e) {
            boolean memory =
                    e.getMessage() != null && e.getMessage().toLowerCase().contains("memory");
            throw new LocalTrainingException(
                    memory ? FailureReason.OUT_OF_MEMORY : FailureReason.OTHER, e.getMessage(), e);
        }
    }

    /** Releases the loaded base model's native memory; a later task loads it again. */
    @Override
    public synchronized void close() {
        if (model != null) {
            model.close();
            model = null;
            modelDir = null;
        }
    }

    static Device device(DeviceChoice choice) throws LocalTrainingException {
        return switch (choice) {
            case CPU -> Device.cpu();
            case GPU -> {
                if (Engine.getInstance().getGpuCount() == 0) {
                    throw new LocalTrainingException(
                            FailureReason.OTHER,
                            "--device gpu, but the PyTorch engine sees no GPU (see `fedtune-agent doctor --device gpu`)");
                }
                yield Device.gpu();
            }
            case AUTO -> Engine.getInstance().getGpuCount() > 0 ? Device.gpu() : Device.cpu();
        };
    }

    private static void setThreads(int threads) {
        try {
            ai.djl.pytorch.jni.JniUtils.setNumThreads(threads);
        } catch (RuntimeException | LinkageError e) {
            log.warn("Cannot set {} training threads: {}", threads, e.toString());
        }
    }

    /** The trainer's PEFT config for a task. */
    static PeftConfig peftConfig(PeftSpec spec, LoraMode mode, long seed) {
        if (spec.method() == PeftMethod.PROMPT_TUNING) {
            return new PeftConfig(
                    PeftKind.PROMPT_TUNING, 0, 1, 0, false, List.of(), spec.numVirtualTokens(), null, seed);
        }
        Set<String> targets = new LinkedHashSet<>();
        if (spec.targetModules() != null) {
            targets.addAll(spec.targetModules());
        }
        if (targets.isEmpty() && spec.modules() != null) {
            for (TargetModule module : spec.modules()) {
                String path = module.path();
                targets.add(path.substring(path.lastIndexOf('.') + 1));
            }
        }
        return new PeftConfig(
                mode == LoraMode.FFA ? PeftKind.FFA_LORA : PeftKind.LORA,
                spec.rank(),
                spec.alpha(),
                spec.dropout(),
                spec.rsLora(),
                new ArrayList<>(targets),
                0,
                null,
                seed);
    }
}
