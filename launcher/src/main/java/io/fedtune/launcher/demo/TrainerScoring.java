package io.fedtune.launcher.demo;

import io.fedtune.protocol.safetensors.FloatTensor;
import io.fedtune.protocol.safetensors.SafetensorsFile;
import io.fedtune.protocol.safetensors.TensorInfo;
import io.fedtune.trainer.data.DataFormatException;
import io.fedtune.trainer.data.DataOptions;
import io.fedtune.trainer.data.JsonlDataset;
import io.fedtune.trainer.data.TokenizedExample;
import io.fedtune.trainer.eval.Evaluator;
import io.fedtune.trainer.model.LoadOptions;
import io.fedtune.trainer.model.PretrainedModel;
import io.fedtune.trainer.peft.Adapter;
import io.fedtune.trainer.peft.PeftConfig;
import io.fedtune.trainer.text.TextTokenizer;
import io.fedtune.trainer.tiny.TinyModelSpec;
import io.fedtune.trainer.tiny.TinyModels;
import io.fedtune.trainer.train.FineTuner;
import io.fedtune.trainer.train.Schedule;
import io.fedtune.trainer.train.TrainingConfig;
import io.fedtune.trainer.train.TrainingJob;
import io.fedtune.trainer.train.TrainingResult;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The demo's measurements with lora-trainer: the base model loaded once, every client's holdout tokenized as the
 * agents tokenize their data, the union loss by {@link Evaluator}, and local-only baselines by {@link FineTuner} with
 * the hyper-parameters the agents use for a task (constant learning rate, no warm-up, clipping at 1).
 */
final class TrainerScoring implements DemoScoring {

    private static final int EVAL_BATCH = 32;

    private final PretrainedModel model;
    private final TextTokenizer tokenizer;
    private final List<TokenizedExample> unionHoldout;
    private final String baseModelName;
    private final PeftConfig peft;

    private TrainerScoring(
            PretrainedModel model,
            TextTokenizer tokenizer,
            List<TokenizedExample> unionHoldout,
            String name,
            PeftConfig peft) {
        this.peft = peft;
        this.model = model;
        this.tokenizer = tokenizer;
        this.unionHoldout = unionHoldout;
        this.baseModelName = name;
    }

    static Factory factory() {
        return new Factory() {
            @Override
            public Path generateModel(Path directory) {
                return TinyModels.write(directory, TinyModelSpec.llama());
            }

            @Override
            public DemoScoring open(Path modelDirectory, List<DemoClient> clients, DemoPlan plan) {
                return OwnThread.open(() -> openHere(modelDirectory, clients, plan));
            }
        };
    }

    private static DemoScoring openHere(Path modelDirectory, List<DemoClient> clients, DemoPlan plan) {
        PretrainedModel model = PretrainedModel.load(modelDirectory, LoadOptions.defaults());
        try {
            TextTokenizer tokenizer = model.tokenizer()
                    .orElseThrow(() -> new DemoInputException(
                            "--model " + modelDirectory + " has no tokenizer.json; the demo needs one"));
            List<TokenizedExample> union = new ArrayList<>();
            for (DemoClient client : clients) {
                union.addAll(tokenize(client.holdout(), tokenizer, plan.maxLength()));
            }
            if (union.isEmpty()) {
                throw new DemoInputException("The clients' holdouts have no example with a token to score");
            }
            return new TrainerScoring(
                    model,
                    tokenizer,
                    List.copyOf(union),
                    modelDirectory.getFileName().toString(),
                    PeftConfig.lora(plan.rank(), plan.alpha(), plan.targetModules()));
        } catch (RuntimeException e) {
            model.close();
            throw e;
        }
    }

    @Override
    public double unionHoldoutLoss(Path adapter) {
        return Evaluator.evaluate(model, adapter(adapter), unionHoldout, EVAL_BATCH)
                .loss();
    }

    /** A PEFT directory as it is; a bare safetensors file with the federation's LoRA config. */
    private Adapter adapter(Path path) {
        if (Files.isDirectory(path)) {
            return Adapter.read(path);
        }
        Map<String, FloatTensor> tensors = new TreeMap<>();
        try (SafetensorsFile file = SafetensorsFile.open(path)) {
            for (TensorInfo info : file.tensors()) {
                tensors.put(info.name(), new FloatTensor(info.shape(), file.readFloats(info)));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read the adapter " + path, e);
        }
        return new Adapter(peft, tensors);
    }

    @Override
    public Path trainLocalOnly(DemoClient client, Path initialAdapter, DemoPlan plan, Path outputDirectory) {
        Adapter initial = adapter(initialAdapter);
        TrainingConfig config = new TrainingConfig(
                1,
                plan.totalSteps(),
                plan.batchSize(),
                1,
                plan.learningRate(),
                0,
                0,
                Schedule.CONSTANT,
                1.0,
                0,
                plan.maxLength(),
                plan.seed());
        TrainingResult result = FineTuner.train(TrainingJob.builder()
                .setModel(model)
                .setPeft(initial.config())
                .setTrainData(tokenize(client.train(), tokenizer, plan.maxLength()))
                .optConfig(config)
                .optInitialAdapter(initial)
                .build());
        result.adapter().write(outputDirectory, baseModelName);
        return outputDirectory;
    }

    @Override
    public void close() {
        model.close();
    }

    private static List<TokenizedExample> tokenize(Path file, TextTokenizer tokenizer, int maxLength) {
        try {
            DataOptions options = DataOptions.defaults().withHoldoutFraction(0);
            return JsonlDataset.tokenize(JsonlDataset.read(file, options).examples(), tokenizer, maxLength);
        } catch (DataFormatException e) {
            throw new DemoInputException(e.getMessage());
        }
    }

    /**
     * Runs every call of a scoring on one worker thread of its own, as the agents train on theirs: libtorch's OpenMP
     * pool spins on the JVM's main thread and, on a busy machine, makes each step many times slower there.
     */
    private static final class OwnThread implements DemoScoring {

        private final ExecutorService worker;
        private final DemoScoring scoring;

        private OwnThread(ExecutorService worker, DemoScoring scoring) {
            this.worker = worker;
            this.scoring = scoring;
        }

        static DemoScoring open(Callable<DemoScoring> opener) {
            ExecutorService worker = Executors.newSingleThreadExecutor(runnable -> {
                Thread thread = new Thread(runnable, "demo-scoring");
                thread.setDaemon(true);
                return thread;
            });
            try {
                return new OwnThread(worker, call(worker, opener));
            } catch (RuntimeException | Error e) {
                worker.shutdownNow();
                throw e;
            }
        }

        @Override
        public double unionHoldoutLoss(Path adapter) {
            return call(worker, () -> scoring.unionHoldoutLoss(adapter));
        }

        @Override
        public Path trainLocalOnly(DemoClient client, Path initialAdapter, DemoPlan plan, Path outputDirectory) {
            return call(worker, () -> scoring.trainLocalOnly(client, initialAdapter, plan, outputDirectory));
        }

        @Override
        public void close() {
            try {
                call(worker, () -> {
                    scoring.close();
                    return null;
                });
            } finally {
                worker.shutdown();
            }
        }

        private static <T> T call(ExecutorService worker, Callable<T> task) {
            try {
                return worker.submit(() -> {
                            DemoCompute.LOCK.lock();
                            try {
                                return task.call();
                            } finally {
                                DemoCompute.LOCK.unlock();
                            }
                        })
                        .get();
            } catch (ExecutionException e) {
                if (e.getCause() instanceof RuntimeException runtime) {
                    throw runtime;
                }
                if (e.getCause() instanceof Error error) {
                    throw error;
                }
                throw new DemoException(String.valueOf(e.getCause()), e.getCause());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new DemoException("Interrupted while scoring", e);
            }
        }
    }
}
