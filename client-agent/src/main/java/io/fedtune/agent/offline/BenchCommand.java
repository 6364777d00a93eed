package io.fedtune.agent.offline;

import io.fedtune.trainer.bench.BenchConfig;
import io.fedtune.trainer.bench.BenchResult;
import io.fedtune.trainer.bench.ThroughputBench;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code bench}: LoRA training throughput on a generated Llama-style model (LoRA alpha = 2r on all seven projections,
 * AdamW). The last line printed is {@code tokens/s: N}; {@code tools/reference/bench_eager.py} runs the same model and
 * step in PyTorch eager for comparison.
 */
@Command(
        name = "bench",
        description =
                "Measure LoRA training throughput on a generated Llama-style model; the last line is 'tokens/s: N'.")
public final class BenchCommand extends OfflineCommand {

    @Option(names = "--hidden", defaultValue = "512", description = "Default: ${DEFAULT-VALUE}.")
    int hidden;

    @Option(names = "--layers", defaultValue = "8", description = "Default: ${DEFAULT-VALUE}.")
    int layers;

    @Option(names = "--heads", defaultValue = "8", description = "Default: ${DEFAULT-VALUE}.")
    int heads;

    @Option(names = "--kv-heads", description = "Default: as --heads.")
    Integer kvHeads;

    @Option(names = "--intermediate", defaultValue = "1408", description = "Default: ${DEFAULT-VALUE}.")
    int intermediate;

    @Option(names = "--vocab", defaultValue = "8192", description = "Default: ${DEFAULT-VALUE}.")
    int vocab;

    @Option(names = "--seq", defaultValue = "256", description = "Tokens per sequence. Default: ${DEFAULT-VALUE}.")
    int seq;

    @Option(names = "--batch", defaultValue = "4", description = "Sequences per step. Default: ${DEFAULT-VALUE}.")
    int batch;

    @Option(names = "--lora-r", defaultValue = "16", description = "LoRA rank. Default: ${DEFAULT-VALUE}.")
    int loraRank;

    @Option(names = "--threads", defaultValue = "2", description = "libtorch threads. Default: ${DEFAULT-VALUE}.")
    int threads;

    @Option(names = "--steps", defaultValue = "10", description = "Measured steps. Default: ${DEFAULT-VALUE}.")
    int steps;

    @Option(names = "--warmup", defaultValue = "2", description = "Unmeasured steps first. Default: ${DEFAULT-VALUE}.")
    int warmup;

    private static final Pattern STEP = Pattern.compile("step (\\d+)/\\d+");

    @Override
    int run() {
        BenchConfig config = new BenchConfig(
                hidden,
                layers,
                heads,
                kvHeads == null ? heads : kvHeads,
                intermediate,
                vocab,
                seq,
                batch,
                loraRank,
                threads,
                steps,
                Math.max(1, warmup));
        PrintWriter out = out();
        out.printf(
                Locale.ROOT,
                "bench: hidden %d, %d layers, %d heads (%d KV), intermediate %d, vocab %d, seq %d, batch %d, LoRA r%d"
                        + " alpha %d on 7 projections, AdamW, %d threads%n",
                config.hidden(),
                config.layers(),
                config.heads(),
                config.kvHeads(),
                config.intermediate(),
                config.vocab(),
                config.seq(),
                config.batch(),
                config.loraRank(),
                2 * config.loraRank(),
                config.threads());
        out.flush();
        int total = config.warmupSteps() + config.steps();
        long[] cpuNanos = {-1, -1};
        BenchResult result = ThroughputBench.run(config, line -> {
            Matcher step = STEP.matcher(line);
            if (step.lookingAt()) {
                int done = Integer.parseInt(step.group(1));
                if (done == config.warmupSteps()) {
                    cpuNanos[0] = processCpuNanos();
                } else if (done == total) {
                    cpuNanos[1] = processCpuNanos();
                }
            }
            out.println(line);
            out.flush();
        });
        out.printf(Locale.ROOT, "trainable LoRA parameters: %,d%n", result.trainableParameters());
        out.printf(Locale.ROOT, "s/step: %.3f%n", result.secondsPerStep());
        out.printf(
                Locale.ROOT,
                "model GFLOP/s: %.1f of %.1f matmul peak (MFU %.1f%%)%n",
                result.achievedGflops(),
                result.matmulPeakGflops(),
                100 * result.utilisation());
        if (cpuNanos[0] >= 0 && cpuNanos[1] > cpuNanos[0]) {
            double cpuSeconds = (cpuNanos[1] - cpuNanos[0]) / 1e9;
            out.printf(
                    Locale.ROOT,
                    "CPU-s/step: %.3f, tokens per CPU-second: %.1f (the figure to compare on a loaded machine)%n",
                    cpuSeconds / config.steps(),
                    (double) config.batch() * config.seq() * config.steps() / cpuSeconds);
        }
        out.printf(Locale.ROOT, "tokens/s: %.1f%n", result.tokensPerSecond());
        out.flush();
        return 0;
    }

    /** CPU time of the whole process (every libtorch thread), or -1 where the JVM does not tell. */
    private static long processCpuNanos() {
        return ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os
                ? os.getProcessCpuTime()
                : -1;
    }
}
