package io.fedtune.agent.offline;

import io.fedtune.trainer.model.LoadOptions;
import io.fedtune.trainer.model.PretrainedModel;
import io.fedtune.trainer.text.TextTokenizer;
import java.nio.file.Path;

/** Loading a model directory and its tokenizer for the offline commands. */
final class ModelLoading {

    private ModelLoading() {}

    static PretrainedModel load(Path modelDir) {
        return PretrainedModel.load(modelDir, LoadOptions.defaults());
    }

    static TextTokenizer tokenizer(PretrainedModel model, String command) {
        return model.tokenizer()
                .orElseThrow(() -> new IllegalArgumentException(model.directory() + ": no tokenizer.json; " + command
                        + " needs one to turn text into token ids"));
    }
}
