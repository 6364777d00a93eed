package io.fedtune.trainer.peft;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fedtune.trainer.model.LoadOptions;
import io.fedtune.trainer.model.PretrainedModel;
import io.fedtune.trainer.tiny.TinyModelSpec;
import io.fedtune.trainer.tiny.TinyModels;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MergeTests {
    @TempDir
    Path tmp;

    @Test
    void aMergedCheckpointGivesTheLogitsOfTheBaseWithTheAdapter() {
        check(TinyModelSpec.llama(), List.of("q_proj", "k_proj", "o_proj", "gate_proj", "down_proj"));
        check(TinyModelSpec.gpt2(), List.of("c_attn", "c_proj", "c_fc"));
    }

    private void check(TinyModelSpec spec, List<String> targets) {
        Path base = TinyModels.write(tmp.resolve(spec.architecture().name()), spec);
        Path merged = tmp.resolve(spec.architecture().name() + "-merged");
        int[] ids = {4, 80, 150, 33, 7};
        float[] adapted;
        Adapter adapter;
        try (PretrainedModel model = PretrainedModel.load(base, LoadOptions.defaults());
                PeftState fresh = PeftState.create(model, PeftConfig.lora(4, 8, targets))) {
            adapter = AdapterTests.withRandomB(fresh.toAdapter());
            try (PeftState state = PeftState.of(model, adapter)) {
                adapted = AdapterTests.logits(model, state, ids);
            }
            assertThat(AdapterTests.maxAbsDiff(adapted, AdapterTests.flatten(model.logits(ids))))
                    .isGreaterThan(1e-3f);
        }
        Merge.mergeInto(base, adapter, merged);
        try (PretrainedModel model = PretrainedModel.load(merged, LoadOptions.defaults())) {
            assertThat(model.tokenizer()).isPresent();
            assertThat(AdapterTests.maxAbsDiff(AdapterTests.flatten(model.logits(ids)), adapted))
                    .isLessThan(1e-4f);
        }
    }

    @Test
    void promptTuningCannotBeMerged() {
        Path base = TinyModels.write(tmp.resolve("m"), TinyModelSpec.llama());
        try (PretrainedModel model = PretrainedModel.load(base, LoadOptions.defaults());
                PeftState state = PeftState.create(model, PeftConfig.promptTuning(2, null, 1))) {
            Adapter adapter = state.toAdapter();
            assertThatThrownBy(() -> Merge.mergeInto(base, adapter, tmp.resolve("out")))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("prompt tuning");
        }
    }
}
