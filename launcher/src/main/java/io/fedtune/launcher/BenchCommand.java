package io.fedtune.launcher;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code fedtune bench}: the parent of the benchmark commands, each printing {@code <unit>: N} as its last line.
 * Other modules add theirs with {@link #commandLine()}{@code .addSubcommand(...)} in {@link Fedtune#commandLine()}.
 */
@Command(
        name = "bench",
        mixinStandardHelpOptions = true,
        description = "Benchmarks that print figures; timings never live in tests.",
        commandListHeading = "%nBenchmarks:%n",
        subcommands = {AggregationBenchCommand.class})
final class BenchCommand implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }
}
