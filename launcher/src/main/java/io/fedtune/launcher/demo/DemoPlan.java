package io.fedtune.launcher.demo;

import io.fedtune.protocol.api.StrategyName;
import java.util.List;

/**
 * The federation the demo runs and the local-only baselines it compares with: the same hyper-parameters for both.
 *
 * @param rounds federated rounds
 * @param stepsPerRound local optimizer steps per client per round (a local-only baseline trains rounds × this)
 * @param batchSize examples per step
 * @param learningRate the local optimizer's learning rate
 * @param rank LoRA rank
 * @param alpha LoRA alpha
 * @param targetModules LoRA target module names (empty: the architecture's defaults)
 * @param maxLength tokens per example, longer ones are cut
 * @param strategy the aggregation strategy
 * @param seed the seed of every random choice (data, split, initial adapter, sampling)
 */
record DemoPlan(
        int rounds,
        int stepsPerRound,
        int batchSize,
        double learningRate,
        int rank,
        double alpha,
        List<String> targetModules,
        int maxLength,
        StrategyName strategy,
        long seed) {

    /** Steps each client trains in the whole federation, and each local-only baseline trains. */
    int totalSteps() {
        return rounds * stepsPerRound;
    }

    DemoPlan withTargetModules(List<String> targets) {
        return new DemoPlan(
                rounds,
                stepsPerRound,
                batchSize,
                learningRate,
                rank,
                alpha,
                List.copyOf(targets),
                maxLength,
                strategy,
                seed);
    }
}
