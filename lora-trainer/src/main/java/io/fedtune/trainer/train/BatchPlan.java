package io.fedtune.trainer.train;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Which examples each micro-batch of each step takes: every epoch is a permutation seeded by (seed, epoch), cut into
 * micro-batches of {@code batchSize} (the last one of an epoch may be smaller). A function of the step number alone,
 * so a resumed run sees the same batches as an uninterrupted one.
 */
final class BatchPlan {
    private final int examples;
    private final TrainingConfig config;
    private final int perEpoch;
    private int cachedEpoch = -1;
    private int[] cachedOrder;

    BatchPlan(int examples, TrainingConfig config) {
        this.examples = examples;
        this.config = config;
        this.perEpoch = (examples + config.batchSize() - 1) / config.batchSize();
    }

    int totalSteps() {
        if (config.maxSteps() > 0) {
            return config.maxSteps();
        }
        long micro = (long) perEpoch * config.epochs();
        return (int) Math.max(1, (micro + config.gradientAccumulation() - 1) / config.gradientAccumulation());
    }

    List<List<Integer>> microBatches(int step) {
        List<List<Integer>> out = new ArrayList<>();
        for (int k = 0; k < config.gradientAccumulation(); k++) {
            long index = (long) step * config.gradientAccumulation() + k;
            if (config.maxSteps() == 0 && index >= (long) perEpoch * config.epochs()) {
                break;
            }
            int epoch = (int) (index / perEpoch);
            int within = (int) (index % perEpoch);
            int[] order = order(epoch);
            List<Integer> batch = new ArrayList<>();
            for (int i = within * config.batchSize(); i < Math.min(examples, (within + 1) * config.batchSize()); i++) {
                batch.add(order[i]);
            }
            out.add(batch);
        }
        return out;
    }

    private int[] order(int epoch) {
        if (epoch != cachedEpoch) {
            int[] order = new int[examples];
            for (int i = 0; i < examples; i++) {
                order[i] = i;
            }
            SplittableRandom random = new SplittableRandom(config.seed() * 31 + epoch);
            for (int i = examples - 1; i > 0; i--) {
                int j = random.nextInt(i + 1);
                int tmp = order[i];
                order[i] = order[j];
                order[j] = tmp;
            }
            cachedOrder = order;
            cachedEpoch = epoch;
        }
        return cachedOrder;
    }
}
