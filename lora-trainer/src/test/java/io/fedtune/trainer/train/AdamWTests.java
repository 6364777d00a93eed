package io.fedtune.trainer.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.data.Offset.offset;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import io.fedtune.protocol.safetensors.SafetensorsFile;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AdamWTests {
    @TempDir
    Path tmp;

    /** Runs one step on w = [1, 1] with loss 3·w0 + 4·w1 (gradient [3, 4], norm 5) and returns m after it. */
    private float[] firstMomentAfterOneStep(double clipNorm, double mu, float[] anchor) throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray w = manager.create(new float[] {1, 1});
            w.setRequiresGradient(true);
            Map<String, NDArray> anchors = anchor == null ? null : Map.of("w", manager.create(anchor));
            try (AdamW optimizer = new AdamW(Map.of("w", w), anchors, manager)) {
                try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                    collector.backward(w.mul(manager.create(new float[] {3, 4})).sum());
                }
                float[] start = w.toFloatArray();
                double norm = optimizer.step(0.1, 0, clipNorm, mu);
                double[] gradient = {3, 4};
                if (anchor != null) {
                    for (int i = 0; i < gradient.length; i++) {
                        gradient[i] += mu * (start[i] - anchor[i]);
                    }
                }
                assertThat(norm).isCloseTo(Math.hypot(gradient[0], gradient[1]), offset(1e-5));
                Path file = tmp.resolve("opt-" + clipNorm + "-" + mu + ".safetensors");
                optimizer.save(file);
                try (SafetensorsFile f = SafetensorsFile.open(file)) {
                    return f.readFloats("m.w");
                }
            }
        }
    }

    @Test
    void clippingScalesTheWholeGradientToTheGlobalNorm() throws Exception {
        float[] unclipped = firstMomentAfterOneStep(0, 0, null);
        assertThat(unclipped[0]).isCloseTo(0.3f, offset(1e-6f));
        assertThat(unclipped[1]).isCloseTo(0.4f, offset(1e-6f));
        float[] clipped = firstMomentAfterOneStep(1.0, 0, null);
        assertThat(clipped[0]).isCloseTo(0.06f, offset(1e-6f));
        assertThat(clipped[1]).isCloseTo(0.08f, offset(1e-6f));
    }

    @Test
    void theProximalTermAddsMuTimesTheDistanceToTheGlobalWeights() throws Exception {
        float[] m = firstMomentAfterOneStep(0, 2.0, new float[] {0, 2});
        // gradient [3 + 2·(1 - 0), 4 + 2·(1 - 2)] = [5, 2]
        assertThat(m[0]).isCloseTo(0.5f, offset(1e-6f));
        assertThat(m[1]).isCloseTo(0.2f, offset(1e-6f));
    }

    @Test
    void aNaNGradientFailsTheStepAsDivergedAndLeavesTheWeightsAndMomentsUntouched() throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray w = manager.create(new float[] {1, 1});
            w.setRequiresGradient(true);
            try (AdamW optimizer = new AdamW(Map.of("w", w), null, manager)) {
                try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                    collector.backward(
                            w.mul(manager.create(new float[] {Float.NaN, 4})).sum());
                }
                // with clipping on, a NaN norm fails the "norm > clip" test, so the NaN went straight into w
                assertThatThrownBy(() -> optimizer.step(0.1, 0, 1.0, 0))
                        .isInstanceOf(TrainingDivergedException.class)
                        .hasMessageContaining("diverged at step 1")
                        .hasMessageContaining("gradient norm became NaN");
                assertThat(w.toFloatArray()).containsExactly(1f, 1f);
                assertThat(optimizer.stepCount()).isZero();
                Path file = tmp.resolve("after-nan.safetensors");
                optimizer.save(file);
                try (SafetensorsFile f = SafetensorsFile.open(file)) {
                    assertThat(f.readFloats("m.w")).containsExactly(0f, 0f);
                    assertThat(f.readFloats("v.w")).containsExactly(0f, 0f);
                }
            }
        }
    }
}
