package io.fedtune.trainer.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import io.fedtune.protocol.peft.LoraTargets;
import io.fedtune.trainer.data.TokenizedExample;
import io.fedtune.trainer.model.LoadOptions;
import io.fedtune.trainer.model.PretrainedModel;
import io.fedtune.trainer.peft.PeftConfig;
import io.fedtune.trainer.support.AtomicDirectory;
import io.fedtune.trainer.tiny.TinyModelSpec;
import io.fedtune.trainer.tiny.TinyModels;
import io.fedtune.trainer.train.FineTuner;
import io.fedtune.trainer.train.Schedule;
import io.fedtune.trainer.train.TrainingConfig;
import io.fedtune.trainer.train.TrainingJob;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * LoRA training throughput on a generated Llama-style model, with the FP32 matmul peak measured in the same run: the
 * figures behind {@code fedtune agent bench}.
 */
public final class ThroughputBench {
    private ThroughputBench() {}

    /** Runs the issue's target configuration and prints the figures; the last line is {@code tokens/s: N}. */
    public static void main(String[] args) {
        BenchConfig c = BenchConfig.issueTarget();
        if (args.length > 0) {
            c = new BenchConfig(
                    c.hidden(),
                    c.layers(),
                    c.heads(),
                    c.kvHeads(),
                    c.intermediate(),
                    c.vocab(),
                    c.seq(),
                    c.batch(),
                    c.loraRank(),
                    Integer.parseInt(args[0]),
                    args.length > 1 ? Integer.parseInt(args[1]) : c.steps(),
                    c.warmupSteps());
        }
        BenchResult r = run(c, System.out::println);
        System.out.printf(
                java.util.Locale.ROOT,
                "s/step: %.3f%nachieved: %.1f GFLOP/s of %.1f peak (%.0f%%)%ntokens/s: %.1f%n",
                r.secondsPerStep(),
                r.achievedGflops(),
                r.matmulPeakGflops(),
                100 * r.utilisation(),
                r.tokensPerSecond());
    }

    /** Runs the benchmark; {@code log} receives progress lines. Sets libtorch's thread count for the process. */
    public static BenchResult run(BenchConfig c, Consumer<String> log) {
        if (c.warmupSteps() == 0) {
            throw new IllegalArgumentException("warmupSteps must be at least 1 to time the steps");
        }
        ai.djl.engine.Engine.getInstance();
        int previousThreads = JniUtils.getNumThreads();
        JniUtils.setNumThreads(c.threads());
        Path dir;
        try {
            dir = Files.createTempDirectory("fedtune-bench-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        try {
            double peak = matmulPeakGflops(Math.max(512, c.hidden()));
            log.accept(
                    String.format(java.util.Locale.ROOT, "matmul peak: %.1f GFLOP/s (%d threads)", peak, c.threads()));
            TinyModelSpec spec = TinyModelSpec.llama(
                    c.hidden(), c.layers(), c.heads(), c.kvHeads(), c.intermediate(), c.vocab(), Math.max(c.seq(), 16));
            TinyModels.write(dir.resolve("model"), spec);
            try (PretrainedModel model = PretrainedModel.load(dir.resolve("model"), LoadOptions.defaults())) {
                List<TokenizedExample> data = randomData(c);
                PeftConfig peft = PeftConfig.lora(c.loraRank(), 2.0 * c.loraRank(), List.copyOf(LoraTargets.LLAMA));
                TrainingConfig warm = TrainingConfig.defaults()
                        .withBatchSize(c.batch(), 1)
                        .withLearningRate(1e-4)
                        .withSchedule(Schedule.CONSTANT, 0)
                        .withMaxLength(c.seq());
                long[] timing = new long[2];
                int total = c.warmupSteps() + c.steps();
                long[] trainable = new long[1];
                FineTuner.train(TrainingJob.builder()
                        .setModel(model)
                        .setPeft(peft)
                        .setTrainData(data)
                        .optConfig(warm.withMaxSteps(total))
                        .optListener(p -> {
                            if (p.step() == c.warmupSteps()) {
                                timing[0] = System.nanoTime();
                            }
                            if (p.step() == total) {
                                timing[1] = System.nanoTime();
                            }
                            log.accept(String.format(
                                    java.util.Locale.ROOT, "step %d/%d loss %.4f", p.step(), total, p.loss()));
                        })
                        .build());
                double seconds = (timing[1] - timing[0]) / 1e9 / c.steps();
                double flops = flopsPerStep(c);
                trainable[0] = loraParameters(c);
                return new BenchResult(
                        (double) c.batch() * c.seq() / seconds,
                        seconds,
                        flops,
                        flops / seconds / 1e9,
                        peak,
                        trainable[0]);
            }
        } finally {
            JniUtils.setNumThreads(previousThreads);
            AtomicDirectory.deleteTree(dir);
        }
    }

    /** Random sequences, every next token scored (as the PyTorch eager yardstick, tools/reference/bench_eager.py, does). */
    static List<TokenizedExample> randomData(BenchConfig c) {
        SplittableRandom random = new SplittableRandom(1234);
        List<TokenizedExample> data = new ArrayList<>();
        for (int i = 0; i < c.batch(); i++) {
            int[] tokens = new int[c.seq()];
            for (int t = 0; t < tokens.length; t++) {
                tokens[t] = random.nextInt(c.vocab());
            }
            data.add(new TokenizedExample(tokens, 0));
        }
        return data;
    }

    static long loraParameters(BenchConfig c) {
        int hd = c.hidden() / c.heads();
        long q = c.heads() * (long) hd;
        long kv = c.kvHeads() * (long) hd;
        long h = c.hidden();
        long i = c.intermediate();
        long perLayer = (h + q) + (h + kv) * 2 + (q + h) + (h + i) * 2 + (i + h);
        return perLayer * c.loraRank() * c.layers();
    }

    /**
     * FLOPs of one step: frozen matmuls forward (2·P·N) and backward to their inputs (2·P·N); LoRA forward (2·P_L·N)
     * and backward (4·P_L·N); attention scores and context forward (4·B·h·T²·d) and backward (8·B·h·T²·d); the
     * vocabulary projection forward and backward (4·V·H·M) at the M scored positions only.
     */
    static double flopsPerStep(BenchConfig c) {
        int hd = c.hidden() / c.heads();
        double h = c.hidden();
        double q = c.heads() * (double) hd;
        double kv = c.kvHeads() * (double) hd;
        double i = c.intermediate();
        double base = (h * (q + 2 * kv) + q * h + 3 * h * i) * c.layers();
        double n = (double) c.batch() * c.seq();
        double lora = loraParameters(c);
        double attention = 12.0 * c.batch() * c.heads() * (double) c.seq() * c.seq() * hd * c.layers();
        double scored = (double) c.batch() * (c.seq() - 1);
        return 4 * base * n + 6 * lora * n + attention + 4 * c.vocab() * h * scored;
    }

    /** Best of several FP32 n×n matmuls through DJL, in GFLOP/s. */
    public static double matmulPeakGflops(int n) {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray a = manager.randomNormal(new Shape(n, n));
            NDArray b = manager.randomNormal(new Shape(n, n));
            double best = Double.MAX_VALUE;
            for (int r = 0; r < 12; r++) {
                long t0 = System.nanoTime();
                a.matMul(b).close();
                best = Math.min(best, (System.nanoTime() - t0) / 1e9);
            }
            return 2.0 * n * n * n / best / 1e9;
        }
    }
}
