package io.fedtune.agent.offline;

import io.fedtune.trainer.data.ChatTemplate;
import io.fedtune.trainer.data.DataOptions;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** The options that say how a JSONL data file is read, shared by {@code train} and {@code eval}. */
final class DataArguments {

    @Option(names = "--data", required = true, paramLabel = "FILE", description = "JSONL: {\"text\"}, Alpaca or chat.")
    Path data;

    @Option(
            names = "--template",
            defaultValue = "CHATML",
            description =
                    "How Alpaca and chat lines are rendered: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).")
    ChatTemplate template;

    @Option(names = "--skip-malformed", description = "Skip and count malformed lines instead of stopping.")
    boolean skipMalformed;

    @Option(
            names = "--max-length",
            defaultValue = "512",
            description = "Tokens per example at most. Default: ${DEFAULT-VALUE}.")
    int maxLength;

    DataOptions options(double holdoutFraction, long seed) {
        return new DataOptions(template, skipMalformed, holdoutFraction, seed);
    }
}
