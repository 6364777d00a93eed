package io.fedtune.agent.offline;

import io.fedtune.trainer.io.Npy;
import io.fedtune.trainer.model.PretrainedModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code logits}: the raw logits of a token sequence as a NumPy file, to check a checkpoint loads right. */
@Command(name = "logits", description = "Write the logits of a token sequence as float32 [T, V] in NumPy .npy format.")
public final class LogitsCommand extends OfflineCommand {

    @Option(names = "--model", required = true, paramLabel = "DIR", description = "Hugging Face model directory.")
    Path model;

    @Option(names = "--ids", required = true, paramLabel = "1,2,3", description = "Comma-separated token ids.")
    String ids;

    @Option(names = "--out", required = true, paramLabel = "FILE.npy", description = "The .npy file to write.")
    Path out;

    @Override
    int run() throws IOException {
        int[] tokens = TokenIds.parse("--ids", ids);
        Path parent = out.toAbsolutePath().getParent();
        if (!Files.isDirectory(parent)) {
            throw badInput("--out " + out + ": directory " + parent + " does not exist");
        }
        if (Files.isDirectory(out)) {
            throw badInput("--out " + out + " is a directory");
        }
        float[][] logits;
        try (PretrainedModel loaded = ModelLoading.load(model)) {
            logits = loaded.logits(tokens);
        }
        Npy.write(out, logits);
        out().printf(Locale.ROOT, "wrote %s: float32 [%d, %d]%n", out, logits.length, logits[0].length);
        out().flush();
        return 0;
    }
}
