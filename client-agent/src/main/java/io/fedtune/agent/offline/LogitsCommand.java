package io.fedtune.agent.offline;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.fedtune.trainer.io.Npy;
import io.fedtune.trainer.model.PretrainedModel;
import io.fedtune.trainer.peft.Adapter;
import io.fedtune.trainer.peft.PeftState;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code logits}: the raw logits of a token sequence as a NumPy file, to check a checkpoint loads right. */
@Command(name = "logits", description = "Write the logits of a token sequence as float32 [T, V] in NumPy .npy format.")
public final class LogitsCommand extends OfflineCommand {

    @Option(names = "--model", required = true, paramLabel = "DIR", description = "Hugging Face model directory.")
    Path model;

    @Option(
            names = "--adapter",
            paramLabel = "DIR",
            description = "PEFT adapter directory to apply (LoRA or prompt tuning).")
    Path adapter;

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
        Adapter trained = adapter == null ? null : Adapter.read(adapter);
        float[][] logits;
        try (PretrainedModel loaded = ModelLoading.load(model)) {
            logits = trained == null ? loaded.logits(tokens) : logitsThrough(loaded, trained, tokens);
        }
        Npy.write(out, logits);
        out().printf(Locale.ROOT, "wrote %s: float32 [%d, %d]%n", out, logits.length, logits[0].length);
        out().flush();
        return 0;
    }

    private static float[][] logitsThrough(PretrainedModel model, Adapter adapter, int[] tokens) {
        model.checkIds(tokens, 0);
        try (PeftState peft = PeftState.of(model, adapter);
                NDManager scratch = model.manager().newSubManager()) {
            float[] flat = model.forward(scratch.create(tokens, new Shape(1, tokens.length)), null, peft)
                    .toFloatArray();
            int vocab = model.config().vocabSize();
            float[][] rows = new float[tokens.length][];
            for (int t = 0; t < tokens.length; t++) {
                rows[t] = Arrays.copyOfRange(flat, t * vocab, (t + 1) * vocab);
            }
            return rows;
        }
    }
}
