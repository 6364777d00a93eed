package io.fedtune.launcher;

import io.fedtune.aggregator.bench.AggregationBenchmark;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code fedtune bench aggregation}: FedAvg throughput over F32 updates read from the blob store. */
@Command(
        name = "aggregation",
        mixinStandardHelpOptions = true,
        description = {
            "FedAvg over --clients F32 updates of --params parameters, read from a filesystem blob store through",
            "the aggregator's own code path. Prints update bytes consumed per second; the last line is 'GB/s: N'."
        })
final class AggregationBenchCommand implements Callable<Integer> {

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--clients", defaultValue = "20", description = "Updates per round (default: ${DEFAULT-VALUE}).")
    int clients;

    @Option(
            names = "--params",
            defaultValue = "8000000",
            description = "Parameters per update (default: ${DEFAULT-VALUE}).")
    long params;

    @Option(names = "--tensors", defaultValue = "64", description = "Tensors per update (default: ${DEFAULT-VALUE}).")
    int tensors;

    @Option(names = "--threads", defaultValue = "0", description = "Aggregation threads; 0 = one per core.")
    int threads;

    @Option(names = "--repeats", defaultValue = "3", description = "Timed runs after a warm-up; the best is reported.")
    int repeats;

    @Option(names = "--tile", defaultValue = "0", description = "Values per tile; 0 = the service's default.")
    int tile;

    @Option(
            names = "--from-memory",
            description = {
                "Read every update once into heap arrays before timing and time only the sum (the engine's",
                "arithmetic, as NumPy sums arrays it already holds); by default every run reads the blob store."
            })
    boolean fromMemory;

    @Option(names = "--dir", description = "Where to keep the blob store (default: a temporary directory).")
    Path directory;

    @Override
    public Integer call() throws Exception {
        if (clients < 1 || params < 1 || tensors < 1 || tensors > params || repeats < 1) {
            spec.commandLine()
                    .getErr()
                    .println("bench aggregation: --clients, --params, --tensors and --repeats must be positive"
                            + " (and --tensors at most --params)");
            return 2;
        }
        AggregationBenchmark.run(
                new AggregationBenchmark.Options(
                        clients, params, tensors, threads, repeats, directory, tile, fromMemory),
                spec.commandLine().getOut());
        return 0;
    }
}
