package io.fedtune.aggregator.aggregation;

/**
 * How the dense engine combines client values coordinate by coordinate (ALGORITHMS.md, robust aggregation).
 * {@link Average} and {@link Krum} average (Krum over the clients it selects) and hand the average to a
 * {@link ServerOptimizer}; {@link Median} and {@link TrimmedMean} are the coordinate-wise robust statistics.
 */
public sealed interface DenseRule {

    /** Example-weighted average, then the server optimizer. */
    record Average(ServerOptimizer optimizer) implements DenseRule {}

    /** Coordinate-wise median of the clients' values (Yin et al. 2018). */
    record Median() implements DenseRule {}

    /** Coordinate-wise mean after dropping the {@code beta} fraction of values at each end. */
    record TrimmedMean(double beta) implements DenseRule {}

    /**
     * Krum / Multi-Krum (Blanchard et al. 2017): score each client by the summed squared distance to its n − f − 2
     * nearest neighbours and average the {@code select} best with equal weights (1 for Krum).
     */
    record Krum(int byzantine, int select, ServerOptimizer optimizer) implements DenseRule {}
}
