package io.fedtune.aggregator.aggregation;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * ALGORITHMS.md's claim, checked numerically: with random factors and unequal weights, ffa, exact (at full rank) and
 * stack reproduce ΔW* = Σ pᵢBᵢAᵢ, and fedit does not.
 */
class LoraExactnessTests {

    private static final int OUT = 24;
    private static final int IN = 20;
    private static final int RANK = 3;
    private static final double[] WEIGHTS = {0.5, 0.3, 0.2};
    private final Random random = new Random(7);

    private float[] randomMatrix(int rows, int cols) {
        float[] m = new float[rows * cols];
        for (int i = 0; i < m.length; i++) {
            m[i] = (float) random.nextGaussian();
        }
        return m;
    }

    private double[] target(List<float[]> bs, List<float[]> as, int[] ranks) {
        double[] sum = new double[OUT * IN];
        for (int i = 0; i < bs.size(); i++) {
            double[] p = LowRank.product(bs.get(i), as.get(i), OUT, ranks[i], IN, WEIGHTS[i]);
            for (int j = 0; j < sum.length; j++) {
                sum[j] += p[j];
            }
        }
        return sum;
    }

    private static double maxDifference(double[] a, double[] b) {
        double max = 0;
        for (int i = 0; i < a.length; i++) {
            max = Math.max(max, Math.abs(a[i] - b[i]));
        }
        return max;
    }

    private static List<DenseAggregation.Client> clients(List<ArrayTensorInput> inputs) {
        List<DenseAggregation.Client> clients = new ArrayList<>();
        for (int i = 0; i < inputs.size(); i++) {
            clients.add(new DenseAggregation.Client(inputs.get(i), WEIGHTS[i], 1.0));
        }
        return clients;
    }

    @Test
    void ffaAveragingOnlyBIsExactBecauseAIsShared() throws IOException {
        float[] sharedA = randomMatrix(RANK, IN);
        List<float[]> bs = List.of(randomMatrix(OUT, RANK), randomMatrix(OUT, RANK), randomMatrix(OUT, RANK));
        TensorSpec b = new TensorSpec("b", new int[] {OUT, RANK});
        List<ArrayTensorInput> inputs = new ArrayList<>();
        for (float[] bi : bs) {
            inputs.add(new ArrayTensorInput().put("b", b.shape(), bi));
        }
        ArrayTensorInput global = new ArrayTensorInput().withSpace(b);
        ArrayTensorInput out = new ArrayTensorInput().withSpace(b);

        new DenseAggregation(7, 11, 2)
                .run(
                        List.of(b),
                        global,
                        clients(inputs),
                        new DenseRule.Average(ServerOptimizer.none()),
                        null,
                        out,
                        null,
                        0,
                        1);

        double[] merged = LowRank.product(out.get("b"), sharedA, OUT, RANK, IN, 1);
        double[] expected = target(bs, List.of(sharedA, sharedA, sharedA), new int[] {RANK, RANK, RANK});
        assertThat(maxDifference(merged, expected)).isLessThan(1e-5);
    }

    @Test
    void feditAveragingAAndBSeparatelyIsNotTheAverageProduct() throws IOException {
        List<float[]> bs = List.of(randomMatrix(OUT, RANK), randomMatrix(OUT, RANK), randomMatrix(OUT, RANK));
        List<float[]> as = List.of(randomMatrix(RANK, IN), randomMatrix(RANK, IN), randomMatrix(RANK, IN));
        TensorSpec b = new TensorSpec("b", new int[] {OUT, RANK});
        TensorSpec a = new TensorSpec("a", new int[] {RANK, IN});
        List<ArrayTensorInput> inputs = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            inputs.add(new ArrayTensorInput().put("a", a.shape(), as.get(i)).put("b", b.shape(), bs.get(i)));
        }
        ArrayTensorInput global = new ArrayTensorInput().withSpace(a).withSpace(b);
        ArrayTensorInput out = new ArrayTensorInput().withSpace(a).withSpace(b);

        new DenseAggregation(16, 1 << 20, 1)
                .run(
                        List.of(a, b),
                        global,
                        clients(inputs),
                        new DenseRule.Average(ServerOptimizer.none()),
                        null,
                        out,
                        null,
                        0,
                        1);

        double[] merged = LowRank.product(out.get("b"), out.get("a"), OUT, RANK, IN, 1);
        double[] expected = target(bs, as, new int[] {RANK, RANK, RANK});
        assertThat(maxDifference(merged, expected)).isGreaterThan(0.1);
        // …while each factor is the exact weighted average of the clients' factors
        assertThat(out.get("a")[5])
                .isCloseTo(
                        (float) (0.5 * as.get(0)[5] + 0.3 * as.get(1)[5] + 0.2 * as.get(2)[5]),
                        org.assertj.core.data.Offset.offset(1e-5f));
    }

    @Test
    void exactRefactorisationAtFullRankReproducesTheWeightedSum() {
        int[] ranks = {RANK, RANK, RANK};
        List<float[]> bs = List.of(randomMatrix(OUT, RANK), randomMatrix(OUT, RANK), randomMatrix(OUT, RANK));
        List<float[]> as = List.of(randomMatrix(RANK, IN), randomMatrix(RANK, IN), randomMatrix(RANK, IN));
        double scale = 2.0;
        List<LowRank.Part> parts = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            parts.add(new LowRank.Part(bs.get(i), as.get(i), ranks[i], WEIGHTS[i]));
        }
        int fullRank = 3 * RANK;

        LowRank.Factors factors = LowRank.refactorise(parts, OUT, IN, fullRank, scale);

        double[] merged = LowRank.product(factors.b(), factors.a(), OUT, fullRank, IN, scale);
        assertThat(maxDifference(merged, target(bs, as, ranks))).isLessThan(1e-5);
    }

    @Test
    void exactRefactorisationBelowFullRankIsTheBestApproximationNotTheSum() {
        List<float[]> bs = List.of(randomMatrix(OUT, RANK), randomMatrix(OUT, RANK));
        List<float[]> as = List.of(randomMatrix(RANK, IN), randomMatrix(RANK, IN));
        List<LowRank.Part> parts = List.of(
                new LowRank.Part(bs.get(0), as.get(0), RANK, 0.5), new LowRank.Part(bs.get(1), as.get(1), RANK, 0.3));
        LowRank.Factors truncated = LowRank.refactorise(parts, OUT, IN, RANK, 1.0);
        double[] merged = LowRank.product(truncated.b(), truncated.a(), OUT, RANK, IN, 1.0);
        double[] expected = new double[OUT * IN];
        double[] p0 = LowRank.product(bs.get(0), as.get(0), OUT, RANK, IN, 0.5);
        double[] p1 = LowRank.product(bs.get(1), as.get(1), OUT, RANK, IN, 0.3);
        for (int j = 0; j < expected.length; j++) {
            expected[j] = p0[j] + p1[j];
        }
        assertThat(maxDifference(merged, expected)).isGreaterThan(1e-3);
        // the residual of the best rank-r approximation is smaller than keeping either client alone
        assertThat(frobenius(diff(merged, expected))).isLessThan(frobenius(diff(p0, expected)));
    }

    @Test
    void stackingReproducesTheWeightedSumForMixedRanks() {
        int[] ranks = {2, 3, 5};
        List<float[]> bs = new ArrayList<>();
        List<float[]> as = new ArrayList<>();
        List<LowRank.Part> parts = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            bs.add(randomMatrix(OUT, ranks[i]));
            as.add(randomMatrix(ranks[i], IN));
            parts.add(new LowRank.Part(bs.get(i), as.get(i), ranks[i], WEIGHTS[i]));
        }
        double scale = 16.0 / 10;

        LowRank.Factors stacked = LowRank.stack(parts, OUT, IN, scale);

        assertThat(stacked.rank()).isEqualTo(10);
        double[] merged = LowRank.product(stacked.b(), stacked.a(), OUT, 10, IN, scale);
        assertThat(maxDifference(merged, target(bs, as, ranks))).isLessThan(1e-5);
    }

    @Test
    void hetloraPadsLowerRanksWithZeros() {
        float[] b1 = {1, 2}; // out=2, rank 1
        float[] a1 = {3, 4}; // rank 1, in=2
        float[] b2 = {1, 1, 1, 1}; // out=2, rank 2
        float[] a2 = {1, 1, 1, 1};
        LowRank.Factors avg = LowRank.padAverage(
                List.of(new LowRank.Part(b1, a1, 1, 0.5), new LowRank.Part(b2, a2, 2, 0.5)), 2, 2, 2);
        assertThat(avg.b()).containsExactly(1f, 0.5f, 1.5f, 0.5f);
        assertThat(avg.a()).containsExactly(2f, 2.5f, 0.5f, 0.5f);
    }

    private static double[] diff(double[] a, double[] b) {
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            d[i] = a[i] - b[i];
        }
        return d;
    }

    private static double frobenius(double[] a) {
        double s = 0;
        for (double v : a) {
            s += v * v;
        }
        return Math.sqrt(s);
    }
}
