package io.fedtune.agent.offline;

import io.fedtune.trainer.data.JsonlDataset;
import io.fedtune.trainer.data.TokenizedExample;
import io.fedtune.trainer.eval.EvalResult;
import io.fedtune.trainer.eval.Evaluator;
import io.fedtune.trainer.model.PretrainedModel;
import io.fedtune.trainer.peft.Adapter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code eval}: loss and perplexity of a model, with or without an adapter, on a JSONL file. */
@Command(
        name = "eval",
        description = "Loss and perplexity on the response tokens of a JSONL file, optionally through an adapter.")
public final class EvalCommand extends OfflineCommand {

    @Option(names = "--model", required = true, paramLabel = "DIR", description = "Hugging Face model directory.")
    Path model;

    @Option(names = "--adapter", paramLabel = "DIR", description = "PEFT adapter directory to apply.")
    Path adapter;

    @Mixin
    DataArguments data;

    @Option(names = "--batch", defaultValue = "8", description = "Examples per forward. Default: ${DEFAULT-VALUE}.")
    int batch;

    @Override
    int run() {
        JsonlDataset dataset = JsonlDataset.read(data.data, data.options(0, 0));
        Adapter trained = adapter == null ? null : Adapter.read(adapter);
        try (PretrainedModel loaded = ModelLoading.load(model)) {
            int maxLength = Math.min(data.maxLength, loaded.config().maxPositions());
            List<TokenizedExample> examples =
                    JsonlDataset.tokenize(dataset.examples(), ModelLoading.tokenizer(loaded, "eval"), maxLength);
            if (examples.isEmpty()) {
                throw badInput(data.data + ": no example has a token to score after tokenization");
            }
            EvalResult result = Evaluator.evaluate(loaded, trained, examples, batch);
            out().printf(
                            Locale.ROOT,
                            "examples:   %d%s%n",
                            examples.size(),
                            dataset.skipped() > 0 ? " (" + dataset.skipped() + " malformed lines skipped)" : "");
            out().printf(Locale.ROOT, "tokens:     %d%n", result.tokens());
            out().printf(Locale.ROOT, "loss:       %.4f%n", result.loss());
            out().printf(Locale.ROOT, "perplexity: %.4f%n", result.perplexity());
            out().flush();
        }
        return 0;
    }
}
