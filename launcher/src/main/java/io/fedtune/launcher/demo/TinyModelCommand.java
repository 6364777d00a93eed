package io.fedtune.launcher.demo;

import io.fedtune.trainer.tiny.TinyModelSpec;
import io.fedtune.trainer.tiny.TinyModels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code fedtune tiny-model DIR}: a small random checkpoint in Hugging Face layout, for trying things out. */
@Command(
        name = "tiny-model",
        mixinStandardHelpOptions = true,
        description = {
            "Write a tiny checkpoint with random weights in Hugging Face layout (config.json, model.safetensors,",
            "tokenizer.json with a byte-level BPE): what the demo generates, usable with --model anywhere."
        })
public final class TinyModelCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "DIR", description = "Where to write it (must not exist, or be empty).")
    Path directory;

    @Option(
            names = "--architecture",
            defaultValue = "llama",
            description = "llama or gpt2 (default: ${DEFAULT-VALUE}).")
    String architecture;

    @Override
    public Integer call() throws Exception {
        TinyModelSpec tiny = switch (architecture) {
            case "llama" -> TinyModelSpec.llama();
            case "gpt2" -> TinyModelSpec.gpt2();
            default ->
                throw new ParameterException(
                        spec.commandLine(), "--architecture must be llama or gpt2, was " + architecture);
        };
        if (Files.exists(directory)) {
            try (var entries = Files.list(directory)) {
                if (entries.findAny().isPresent()) {
                    throw new ParameterException(spec.commandLine(), directory + " exists and is not empty");
                }
            }
        }
        Path written = TinyModels.write(directory, tiny);
        spec.commandLine()
                .getOut()
                .println("Wrote a tiny " + architecture + " checkpoint to " + written.toAbsolutePath());
        spec.commandLine().getOut().flush();
        return 0;
    }
}
