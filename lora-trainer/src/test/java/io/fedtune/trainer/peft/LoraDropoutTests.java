package io.fedtune.trainer.peft;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import io.fedtune.trainer.model.LoadOptions;
import io.fedtune.trainer.model.PretrainedModel;
import io.fedtune.trainer.tiny.TinyModelSpec;
import io.fedtune.trainer.tiny.TinyModels;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** LoRA dropout: {@code W·x + s·B·A·dropout(x)} while training, {@code W·x + s·B·A·x} for inference. */
class LoraDropoutTests {
    @TempDir
    static Path tmp;

    static PretrainedModel model;
    static Adapter trained;

    static final long[] IDS = {1, 17, 42, 99, 123, 200, 7, 64, 250, 300, 12, 5};

    @BeforeAll
    static void load() {
        model = PretrainedModel.load(
                TinyModels.write(tmp.resolve("llama"), TinyModelSpec.llama()), LoadOptions.defaults());
        try (PeftState fresh =
                PeftState.create(model, PeftConfig.lora(4, 8, List.of("q_proj", "v_proj", "up_proj", "down_proj")))) {
            trained = AdapterTests.withRandomB(fresh.toAdapter());
        }
    }

    @AfterAll
    static void close() {
        model.close();
    }

    @Test
    void withDropoutTwoTrainingForwardsDifferFromEachOtherAndFromTheInferenceForward() {
        try (PeftState peft = PeftState.of(model, withDropout(trained, 0.5))) {
            float[] first = hidden(peft, true);
            float[] second = hidden(peft, true);
            float[] inference = hidden(peft, false);

            assertThat(maxAbsDiff(first, second)).isGreaterThan(1e-3f);
            assertThat(maxAbsDiff(first, inference)).isGreaterThan(1e-3f);
            assertThat(maxAbsDiff(second, inference)).isGreaterThan(1e-3f);
        }
    }

    @Test
    void inferenceIgnoresDropoutAndIsDeterministic() {
        try (PeftState withDropout = PeftState.of(model, withDropout(trained, 0.5));
                PeftState without = PeftState.of(model, withDropout(trained, 0))) {
            float[] first = hidden(withDropout, false);

            assertThat(hidden(withDropout, false)).containsExactly(first);
            assertThat(hidden(without, false)).containsExactly(first);
        }
    }

    @Test
    void withoutDropoutTheTrainingForwardEqualsTheInferenceForward() {
        try (PeftState peft = PeftState.of(model, withDropout(trained, 0))) {
            assertThat(hidden(peft, true)).containsExactly(hidden(peft, false));
        }
    }

    @Test
    void dropoutActsOnTheLoraBranchOnlySoAFreshAdapterTrainsFromTheBaseOutput() {
        Adapter fresh;
        try (PeftState state = PeftState.create(model, trained.config().withDropout(0.5))) {
            fresh = state.toAdapter();
        }
        try (PeftState peft = PeftState.of(model, fresh)) {
            // B = 0: the LoRA branch adds exactly zero whatever dropout zeroes, and the base path is never dropped
            assertThat(hidden(peft, true)).containsExactly(hidden(null, false));
        }
    }

    @Test
    void theSameEngineSeedGivesTheSameDropoutMask() {
        try (PeftState peft = PeftState.of(model, withDropout(trained, 0.5))) {
            Engine.getInstance().setRandomSeed(11);
            float[] first = hidden(peft, true);
            Engine.getInstance().setRandomSeed(11);
            float[] again = hidden(peft, true);

            assertThat(again).containsExactly(first);
        }
    }

    private static Adapter withDropout(Adapter adapter, double dropout) {
        return new Adapter(adapter.config().withDropout(dropout), adapter.tensors());
    }

    /** Final hidden states [1, T, H] of {@link #IDS}, flattened; {@code training} switches LoRA dropout on. */
    private static float[] hidden(PeftState peft, boolean training) {
        boolean gradMode = JniUtils.isGradMode();
        JniUtils.setGradMode(false);
        try (NDScope scope = new NDScope();
                NDManager scratch = model.manager().newSubManager()) {
            return model.hiddenStates(scratch.create(IDS, new Shape(1, IDS.length)), null, peft, training)
                    .toFloatArray();
        } finally {
            JniUtils.setGradMode(gradMode);
        }
    }

    private static float maxAbsDiff(float[] a, float[] b) {
        assertThat(a).hasSameSizeAs(b);
        float max = 0;
        for (int i = 0; i < a.length; i++) {
            max = Math.max(max, Math.abs(a[i] - b[i]));
        }
        return max;
    }
}
