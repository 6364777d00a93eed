package io.fedtune.launcher.demo;

import io.fedtune.protocol.api.StrategyName;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import org.springframework.boot.logging.LogLevel;
import org.springframework.boot.logging.LoggingSystem;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code fedtune demo}: watch a federation learn on this machine in a few minutes. */
@Command(
        name = "demo",
        mixinStandardHelpOptions = true,
        description = {
            "Run a whole federation on this machine: the platform on an embedded PostgreSQL, a tiny model, three",
            "clients with different kinds of data, agents talking HTTP to the gateway. Prints a table per round and",
            "compares the federated adapter with each client's local-only adapter on everyone's held-out data."
        },
        exitCodeListHeading = "%nExit status:%n",
        exitCodeList = {
            "0:the demo ran to its end",
            "1:the demo failed (the message says why)",
            "2:bad options or input"
        })
public final class DemoCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--rounds", defaultValue = "5", description = "Federated rounds (default: ${DEFAULT-VALUE}).")
    int rounds;

    @Option(
            names = "--clients",
            defaultValue = "3",
            description =
                    "Clients with generated data, 2 to 12 (default: ${DEFAULT-VALUE}); with --data, one per file.")
    int clients;

    @Option(
            names = "--strategy",
            defaultValue = "fedavg",
            description = "Aggregation strategy: fedavg, fedavgm, fedadam, fedyogi, fedadagrad, median, trimmed_mean,"
                    + " krum, multi_krum (default: ${DEFAULT-VALUE}).")
    String strategy;

    @Option(
            names = "--steps",
            defaultValue = "20",
            description = "Local training steps per client per round (default: ${DEFAULT-VALUE}).")
    int steps;

    @Option(names = "--batch-size", defaultValue = "8", description = "Examples per step (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(
            names = "--learning-rate",
            defaultValue = "0.02",
            description = "Local learning rate (default: ${DEFAULT-VALUE}).")
    double learningRate;

    @Option(names = "--rank", defaultValue = "8", description = "LoRA rank (default: ${DEFAULT-VALUE}).")
    int rank;

    @Option(
            names = "--examples",
            defaultValue = "300",
            description = "Examples generated per client (default: ${DEFAULT-VALUE}); ignored with --data.")
    int examples;

    @Option(
            names = "--model",
            paramLabel = "DIR",
            description = "A Hugging Face checkpoint (config.json, model.safetensors, tokenizer.json) instead of the"
                    + " generated tiny model.")
    Path model;

    @Option(
            names = "--data",
            paramLabel = "DIR",
            description = "Your own data: one JSON Lines file per client ({\"text\"}, Alpaca or chat messages); 20%% of"
                    + " each is held out.")
    Path data;

    @Option(names = "--summary", paramLabel = "FILE", description = "Write the figures as JSON to FILE.")
    Path summary;

    @Option(
            names = "--home",
            paramLabel = "DIR",
            description = "Where the platform, data and adapters go (default: a new temporary directory).")
    Path home;

    @Option(
            names = "--seed",
            defaultValue = "42",
            description = "Seed of every random choice (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--verbose", description = "Show the services' and the trainer's logs (normally only errors).")
    boolean verbose;

    private final DemoAgents agents;
    private final DemoScoring.Factory scoring;

    /** The command with the real agents and the real trainer. */
    public DemoCommand() {
        this(DemoComponents.agents(), DemoComponents.scoring());
    }

    DemoCommand(DemoAgents agents, DemoScoring.Factory scoring) {
        this.agents = agents;
        this.scoring = scoring;
    }

    @Override
    public Integer call() {
        DemoOptions options = options();
        if (!verbose) {
            quietLogs();
        }
        PrintWriter out = spec.commandLine().getOut();
        try {
            new Demo(options, agents, scoring, out).run();
            return 0;
        } catch (DemoInputException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage(), e);
        } catch (RuntimeException e) {
            PrintWriter err = spec.commandLine().getErr();
            err.println("fedtune demo: " + (e instanceof DemoException ? e.getMessage() : e.toString()));
            err.println("Everything it wrote is under " + options.home());
            err.flush();
            return 1;
        }
    }

    private DemoOptions options() {
        check(rounds >= 1 && rounds <= 1000, "--rounds must be between 1 and 1000, was " + rounds);
        check(steps >= 1 && steps <= 100_000, "--steps must be between 1 and 100000, was " + steps);
        check(batchSize >= 1 && batchSize <= 4096, "--batch-size must be between 1 and 4096, was " + batchSize);
        check(
                learningRate > 0 && learningRate <= 10,
                "--learning-rate must be above 0 and at most 10, was " + learningRate);
        check(rank >= 1 && rank <= 1024, "--rank must be between 1 and 1024, was " + rank);
        check(examples >= 10 && examples <= 1_000_000, "--examples must be between 10 and 1000000, was " + examples);
        if (data != null) {
            check(
                    !spec.commandLine().getParseResult().hasMatchedOption("--clients"),
                    "--clients and --data exclude each other: with --data every .jsonl file is one client");
            check(Files.isDirectory(data), "--data " + data + " is not a directory");
        } else {
            check(clients >= 2 && clients <= 12, "--clients must be between 2 and 12, was " + clients);
        }
        if (model != null) {
            check(Files.isDirectory(model), "--model " + model + " is not a directory");
        }
        StrategyName strategyName = strategy(strategy);
        Path demoHome = home != null ? home : temporaryHome();
        DemoPlan plan = new DemoPlan(
                rounds, steps, batchSize, learningRate, rank, 2.0 * rank, List.of(), 64, strategyName, seed);
        return new DemoOptions(demoHome.toAbsolutePath(), model, data, summary, clients, examples, plan, verbose);
    }

    private StrategyName strategy(String name) {
        for (StrategyName candidate : StrategyName.values()) {
            if (candidate.name().equalsIgnoreCase(name.replace('-', '_'))) {
                return candidate;
            }
        }
        throw new ParameterException(
                spec.commandLine(),
                "--strategy " + name + " is not one of "
                        + Arrays.stream(StrategyName.values())
                                .map(s -> s.name().toLowerCase(Locale.ROOT))
                                .collect(Collectors.joining(", ")));
    }

    private void check(boolean condition, String message) {
        if (!condition) {
            throw new ParameterException(spec.commandLine(), message);
        }
    }

    /** The demo's own lines are the output; the services and the engine log only errors unless --verbose. */
    private static void quietLogs() {
        LoggingSystem logging = LoggingSystem.get(DemoCommand.class.getClassLoader());
        logging.beforeInitialize();
        logging.setLogLevel(LoggingSystem.ROOT_LOGGER_NAME, LogLevel.ERROR);
    }

    private static Path temporaryHome() {
        try {
            return Files.createTempDirectory("fedtune-demo-");
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot create a temporary directory for the demo", e);
        }
    }
}
