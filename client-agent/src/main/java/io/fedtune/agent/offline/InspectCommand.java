package io.fedtune.agent.offline;

import io.fedtune.trainer.model.ModelConfig;
import io.fedtune.trainer.model.PretrainedModel;
import io.fedtune.trainer.text.TextTokenizer;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code inspect}: what a model directory holds, without training anything. */
@Command(
        name = "inspect",
        description = "Show a model's architecture, size, stored dtype and the modules LoRA can adapt.")
public final class InspectCommand extends OfflineCommand {

    @Option(names = "--model", required = true, paramLabel = "DIR", description = "Hugging Face model directory.")
    Path model;

    @Override
    int run() {
        try (PretrainedModel loaded = ModelLoading.load(model)) {
            ModelConfig c = loaded.config();
            PrintWriter out = out();
            out.printf(Locale.ROOT, "model:          %s%n", model);
            out.printf(
                    Locale.ROOT,
                    "architecture:   %s (%s)%n",
                    c.architecture(),
                    c.architecture().className());
            out.printf(Locale.ROOT, "parameters:     %,d%n", loaded.parameterCount());
            out.printf(Locale.ROOT, "dtype:          %s stored, computed in FP32%n", loaded.storedAs());
            out.printf(
                    Locale.ROOT,
                    "shape:          %d layers, hidden %d, %d heads (%d KV), head dim %d, intermediate %d%n",
                    c.layers(),
                    c.hidden(),
                    c.heads(),
                    c.kvHeads(),
                    c.headDim(),
                    c.intermediate());
            out.printf(
                    Locale.ROOT,
                    "vocabulary:     %d, context %d, tied embeddings %s, attention bias %s%n",
                    c.vocabSize(),
                    c.maxPositions(),
                    c.tieEmbeddings() ? "yes" : "no",
                    c.attentionBias() ? "yes" : "no");
            if (c.architecture().isLlamaFamily()) {
                out.printf(Locale.ROOT, "rope theta:     %s%n", c.ropeTheta());
            }
            out.printf(
                    Locale.ROOT,
                    "tokenizer:      %s%n",
                    loaded.tokenizer().map(InspectCommand::describe).orElse("none"));
            out.printf(
                    Locale.ROOT,
                    "LoRA-eligible:  %s (%d modules)%n",
                    String.join(", ", loaded.loraEligibleModules()),
                    loaded.modulePaths().size());
            out.flush();
        }
        return 0;
    }

    private static String describe(TextTokenizer tokenizer) {
        return "vocabulary " + tokenizer.vocabSize()
                + tokenizer.bosId().stream()
                        .mapToObj(id -> ", BOS " + id)
                        .findFirst()
                        .orElse("")
                + tokenizer.eosId().stream()
                        .mapToObj(id -> ", EOS " + id)
                        .findFirst()
                        .orElse("");
    }
}
