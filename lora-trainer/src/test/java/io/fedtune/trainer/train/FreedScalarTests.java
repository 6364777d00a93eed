package io.fedtune.trainer.train;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import io.fedtune.trainer.data.TokenizedExample;
import io.fedtune.trainer.model.LoadOptions;
import io.fedtune.trainer.model.PretrainedModel;
import io.fedtune.trainer.peft.PeftConfig;
import io.fedtune.trainer.peft.PeftState;
import io.fedtune.trainer.testing.Synthetic;
import io.fedtune.trainer.tiny.TinyModelSpec;
import io.fedtune.trainer.tiny.TinyModels;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The intermittent NaN of the demo: DJL's {@code mul(Number)}, {@code div(Number)} and {@code pow(Number)} wrap the
 * number in a scalar tensor over a direct buffer and close it when the op returns, but autograd saved that tensor and
 * reads it in backward. A garbage collection between forward and backward (more likely while another thread of the JVM
 * allocates, such as the demo's evaluator) frees the buffer; memory reused for anything else then becomes the scalar.
 * Here the GC is forced and the freed memory is overwritten with NaN, so the failure is deterministic.
 */
class FreedScalarTests {
    @TempDir
    static Path tmp;

    @Test
    void gpt2LoraGradientsAreUnchangedByAGarbageCollectionBetweenForwardAndBackward() {
        checkGradientsSurviveGc(TinyModelSpec.gpt2(), "gpt2");
    }

    @Test
    void llamaLoraGradientsAreUnchangedByAGarbageCollectionBetweenForwardAndBackward() {
        checkGradientsSurviveGc(TinyModelSpec.llama(), "llama");
    }

    private static void checkGradientsSurviveGc(TinyModelSpec spec, String name) {
        try (PretrainedModel model =
                PretrainedModel.load(TinyModels.write(tmp.resolve(name), spec), LoadOptions.defaults())) {
            List<TokenizedExample> examples =
                    FineTuner.prepare(Synthetic.examples(model.tokenizer().orElseThrow(), 4), model, 64, 0, "test");
            CausalLmBatch batch = CausalLmBatch.of(examples);
            try (PeftState peft = PeftState.create(model, PeftConfig.lora(4, 8, model.loraEligibleModules()))) {
                Map<String, float[]> reference = gradients(model, peft, batch, false);
                Map<String, float[]> afterGc = gradients(model, peft, batch, true);
                assertThat(afterGc.keySet()).isEqualTo(reference.keySet());
                for (Map.Entry<String, float[]> e : reference.entrySet()) {
                    float[] got = afterGc.get(e.getKey());
                    for (float f : got) {
                        assertThat(f).as(e.getKey()).isFinite();
                    }
                    assertThat(got).as(e.getKey()).containsExactly(e.getValue());
                }
            }
        }
    }

    private static Map<String, float[]> gradients(
            PretrainedModel model, PeftState peft, CausalLmBatch batch, boolean gcBeforeBackward) {
        Map<String, float[]> out = new LinkedHashMap<>();
        List<ByteBuffer> scribbles = new ArrayList<>();
        try (GradientCollector collector = Engine.getInstance().newGradientCollector();
                NDScope scope = new NDScope();
                NDManager scratch = model.manager().newSubManager()) {
            NDArray loss = batch.nllSum(scratch, model, peft, true).div(scratch.create((float) batch.scoredCount()));
            if (gcBeforeBackward) {
                scribbleFreedDirectMemory(scribbles);
            }
            collector.backward(loss);
        }
        for (Map.Entry<String, NDArray> e : peft.trainable().entrySet()) {
            try (NDArray g = e.getValue().getGradient()) {
                out.put(e.getKey(), g.toFloatArray());
            }
            JniUtils.zeroGrad((PtNDArray) e.getValue());
        }
        return out;
    }

    /** Lets the GC free unreachable direct buffers, then takes small blocks of native memory and fills them with NaN. */
    private static void scribbleFreedDirectMemory(List<ByteBuffer> keep) {
        for (int round = 0; round < 3; round++) {
            System.gc();
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            for (int i = 0; i < 20_000; i++) {
                ByteBuffer b = ByteBuffer.allocateDirect(4 << (i % 3)).order(ByteOrder.nativeOrder());
                while (b.remaining() >= 4) {
                    b.putFloat(Float.NaN);
                }
                keep.add(b);
            }
        }
    }
}
