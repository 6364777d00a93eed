package io.fedtune.aggregator.aggregation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class DenseAggregationTests {

    private static final TensorSpec T = new TensorSpec("t", new int[] {5});

    private static ArrayTensorInput tensor(float... values) {
        return new ArrayTensorInput().put("t", T.shape(), values);
    }

    private static float[] run(
            DenseRule rule, ArrayTensorInput global, double[] weights, double[] clips, ArrayTensorInput... updates)
            throws IOException {
        List<DenseAggregation.Client> clients = new ArrayList<>();
        for (int i = 0; i < updates.length; i++) {
            clients.add(new DenseAggregation.Client(updates[i], weights[i], clips[i]));
        }
        ArrayTensorInput out = new ArrayTensorInput().withSpace(T);
        new DenseAggregation(2, 3, 2).run(List.of(T), global, clients, rule, null, out, null, 0, 1);
        return out.get("t");
    }

    private static double[] equal(int n, double w) {
        double[] a = new double[n];
        java.util.Arrays.fill(a, w);
        return a;
    }

    @Test
    void fedAvgWeightsClientsByExamples() throws IOException {
        float[] out = run(
                new DenseRule.Average(ServerOptimizer.none()),
                tensor(0, 0, 0, 0, 0),
                new double[] {0.75, 0.25},
                equal(2, 1),
                tensor(1, 1, 1, 1, 1),
                tensor(5, 5, 5, 5, 5));
        assertThat(out).containsExactly(2, 2, 2, 2, 2);
    }

    @Test
    void clippingPullsAClientHalfwayBackToTheGlobal() throws IOException {
        float[] out = run(
                new DenseRule.Average(ServerOptimizer.none()),
                tensor(1, 1, 1, 1, 1),
                new double[] {1.0},
                new double[] {0.5},
                tensor(3, 3, 3, 3, 3));
        assertThat(out).containsExactly(2, 2, 2, 2, 2);
    }

    @Test
    void medianAndTrimmedMeanIgnoreAnOutlier() throws IOException {
        ArrayTensorInput[] updates = {
            tensor(1, 1, 1, 1, 1),
            tensor(2, 2, 2, 2, 2),
            tensor(3, 3, 3, 3, 3),
            tensor(4, 4, 4, 4, 4),
            tensor(1000, -1000, 1000, -1000, 1000)
        };
        float[] median = run(new DenseRule.Median(), tensor(0, 0, 0, 0, 0), equal(5, 0.2), equal(5, 1), updates);
        assertThat(median).containsExactly(3, 2, 3, 2, 3);
        float[] trimmed =
                run(new DenseRule.TrimmedMean(0.2), tensor(0, 0, 0, 0, 0), equal(5, 0.2), equal(5, 1), updates);
        assertThat(trimmed).containsExactly(3, 2, 3, 2, 3);
    }

    @Test
    void krumDropsTheUpdateFarFromTheOthers() throws IOException {
        ArrayTensorInput[] updates = {
            tensor(1, 1, 1, 1, 1),
            tensor(1.1f, 1, 1, 1, 1),
            tensor(1, 1.1f, 1, 1, 1),
            tensor(1, 1, 1.1f, 1, 1),
            tensor(50, 50, 50, 50, 50)
        };
        float[] krum = run(
                new DenseRule.Krum(1, 1, ServerOptimizer.none()),
                tensor(0, 0, 0, 0, 0),
                equal(5, 0.2),
                equal(5, 1),
                updates);
        assertThat(krum).containsExactly(1, 1, 1, 1, 1);
        float[] multi = run(
                new DenseRule.Krum(1, 4, ServerOptimizer.none()),
                tensor(0, 0, 0, 0, 0),
                equal(5, 0.2),
                equal(5, 1),
                updates);
        assertThat(multi[0]).isCloseTo(1.025f, within(1e-6f));
        assertThat(multi[4]).isCloseTo(1f, within(1e-6f));
    }

    @Test
    void serverOptimizersFollowTheirUpdateRules() {
        float[] x = {1};
        float[] avg = {3}; // Δ = 2
        float[] out = new float[1];
        float[][] momentum = {{0.5f}};
        new ServerOptimizer(ServerOptimizer.Kind.AVGM, 0.5, 0.9, 0, 0).apply(x, avg, momentum, out, 1);
        assertThat(momentum[0][0]).isCloseTo(0.45f + 2, within(1e-6f));
        assertThat(out[0]).isCloseTo(1 + 0.5f * 2.45f, within(1e-6f));

        float[][] adam = {{0f}, {0f}};
        new ServerOptimizer(ServerOptimizer.Kind.ADAM, 0.1, 0.9, 0.99, 1e-3).apply(x, avg, adam, out, 1);
        assertThat(adam[0][0]).isCloseTo(0.2f, within(1e-6f));
        assertThat(adam[1][0]).isCloseTo(0.04f, within(1e-6f));
        assertThat(out[0]).isCloseTo((float) (1 + 0.1 * 0.2 / (0.2 + 1e-3)), within(1e-5f));

        float[][] yogi = {{0f}, {1f}};
        new ServerOptimizer(ServerOptimizer.Kind.YOGI, 0.1, 0.9, 0.99, 1e-3).apply(x, avg, yogi, out, 1);
        // v − (1−β₂)Δ²·sign(v − Δ²) = 1 − 0.01·4·(−1) = 1.04
        assertThat(yogi[1][0]).isCloseTo(1.04f, within(1e-6f));

        float[][] adagrad = {{1f}};
        new ServerOptimizer(ServerOptimizer.Kind.ADAGRAD, 0.1, 0.9, 0.99, 1e-3).apply(x, avg, adagrad, out, 1);
        assertThat(adagrad[0][0]).isCloseTo(5f, within(1e-6f));
        assertThat(out[0]).isCloseTo((float) (1 + 0.1 * 2 / (Math.sqrt(5) + 1e-3)), within(1e-5f));
    }

    @Test
    void gaussianNoiseIsSeededAndHasTheRequestedSpread() throws IOException {
        TensorSpec big = new TensorSpec("t", new int[] {20_000});
        ArrayTensorInput global = new ArrayTensorInput().withSpace(big);
        ArrayTensorInput update = new ArrayTensorInput().withSpace(big);
        ArrayTensorInput out1 = new ArrayTensorInput().withSpace(big);
        ArrayTensorInput out2 = new ArrayTensorInput().withSpace(big);
        List<DenseAggregation.Client> clients = List.of(new DenseAggregation.Client(update, 1, 1));
        DenseAggregation engine = new DenseAggregation(1000, 5000, 2);
        DenseRule rule = new DenseRule.Average(ServerOptimizer.none());
        engine.run(List.of(big), global, clients, rule, null, out1, null, 0.5, 99);
        engine.run(List.of(big), global, clients, rule, null, out2, null, 0.5, 99);
        assertThat(out1.get("t")).containsExactly(out2.get("t"));
        double sumSquares = 0;
        for (float v : out1.get("t")) {
            sumSquares += v * v;
        }
        assertThat(Math.sqrt(sumSquares / 20_000)).isCloseTo(0.5, within(0.02));
    }
}
