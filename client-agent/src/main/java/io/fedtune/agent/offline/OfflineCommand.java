package io.fedtune.agent.offline;

import io.fedtune.trainer.data.DataFormatException;
import io.fedtune.trainer.model.ModelLoadException;
import io.fedtune.trainer.peft.AdapterFormatException;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.util.concurrent.Callable;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * What the offline commands share: bad input (a data line, a model directory, an argument) ends the command with
 * one clear line on standard error and exit code 2, never a stack trace.
 */
abstract class OfflineCommand implements Callable<Integer> {

    /** Exit code for input the user can fix, as picocli uses for usage errors. */
    static final int BAD_INPUT = 2;

    @Spec
    CommandSpec spec;

    @Option(
            names = {"-h", "--help"},
            usageHelp = true,
            description = "Show this help message and exit.")
    boolean help;

    @Override
    public final Integer call() {
        try {
            return run();
        } catch (DataFormatException
                | ModelLoadException
                | AdapterFormatException
                | IllegalArgumentException
                | IllegalStateException
                | UncheckedIOException e) {
            return fail(e.getMessage());
        } catch (IOException e) {
            return fail(e.getMessage() == null ? e.toString() : e.getMessage());
        }
    }

    /** Runs the command; returns its exit code. */
    abstract int run() throws IOException;

    PrintWriter out() {
        return spec.commandLine().getOut();
    }

    /** Prints {@code fedtune-agent <command>: <first line of message>} on standard error and returns 2. */
    int fail(String message) {
        String line = message == null ? "failed" : message.lines().findFirst().orElse(message);
        PrintWriter err = spec.commandLine().getErr();
        err.println("fedtune-agent " + spec.name() + ": " + line);
        err.flush();
        return BAD_INPUT;
    }

    /** A user error found by a command itself. */
    static IllegalArgumentException badInput(String message) {
        return new IllegalArgumentException(message);
    }
}
