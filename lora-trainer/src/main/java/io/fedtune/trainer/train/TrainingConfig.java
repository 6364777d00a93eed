package io.fedtune.trainer.train;

/**
 * Local training hyper-parameters.
 *
 * @param epochs passes over the training data (when {@code maxSteps} is 0)
 * @param maxSteps optimizer steps; 0 lets {@code epochs} decide
 * @param batchSize examples per micro-batch
 * @param gradientAccumulation micro-batches per optimizer step
 * @param learningRate peak AdamW learning rate
 * @param weightDecay decoupled weight decay (AdamW)
 * @param warmupSteps linear warm-up steps
 * @param schedule decay after warm-up
 * @param clipNorm global gradient-norm bound; 0 = none
 * @param proximalMu FedProx μ: adds μ/2·‖w − w_global‖² over the trainable weights (Li et al., arXiv 1812.06127)
 * @param maxLength examples are truncated to this many tokens
 * @param seed data order, dropout, and nothing else
 */
public record TrainingConfig(
        int epochs,
        int maxSteps,
        int batchSize,
        int gradientAccumulation,
        double learningRate,
        double weightDecay,
        int warmupSteps,
        Schedule schedule,
        double clipNorm,
        double proximalMu,
        int maxLength,
        long seed) {

    public TrainingConfig {
        if (epochs <= 0 && maxSteps <= 0) {
            throw new IllegalArgumentException("epochs or maxSteps must be positive");
        }
        if (maxSteps < 0) {
            throw new IllegalArgumentException("maxSteps must be >= 0, got " + maxSteps);
        }
        if (batchSize <= 0 || gradientAccumulation <= 0) {
            throw new IllegalArgumentException("batchSize and gradientAccumulation must be positive");
        }
        if (!(learningRate > 0) || Double.isInfinite(learningRate)) {
            throw new IllegalArgumentException("learningRate must be positive, got " + learningRate);
        }
        if (weightDecay < 0 || clipNorm < 0 || proximalMu < 0 || warmupSteps < 0) {
            throw new IllegalArgumentException("weightDecay, clipNorm, proximalMu and warmupSteps must be >= 0");
        }
        if (maxLength < 2) {
            throw new IllegalArgumentException("maxLength must be at least 2, got " + maxLength);
        }
        if (schedule == null) {
            throw new IllegalArgumentException("schedule is required");
        }
    }

    /** One epoch, batch 4, lr 2e-4, cosine decay, clip at 1.0, max length 512, seed 42. */
    public static TrainingConfig defaults() {
        return new TrainingConfig(1, 0, 4, 1, 2e-4, 0.0, 0, Schedule.COSINE, 1.0, 0.0, 512, 42L);
    }

    public TrainingConfig withEpochs(int count) {
        return new TrainingConfig(
                count,
                maxSteps,
                batchSize,
                gradientAccumulation,
                learningRate,
                weightDecay,
                warmupSteps,
                schedule,
                clipNorm,
                proximalMu,
                maxLength,
                seed);
    }

    public TrainingConfig withMaxSteps(int steps) {
        return new TrainingConfig(
                epochs,
                steps,
                batchSize,
                gradientAccumulation,
                learningRate,
                weightDecay,
                warmupSteps,
                schedule,
                clipNorm,
                proximalMu,
                maxLength,
                seed);
    }

    public TrainingConfig withLearningRate(double lr) {
        return new TrainingConfig(
                epochs,
                maxSteps,
                batchSize,
                gradientAccumulation,
                lr,
                weightDecay,
                warmupSteps,
                schedule,
                clipNorm,
                proximalMu,
                maxLength,
                seed);
    }

    public TrainingConfig withBatchSize(int size, int accumulation) {
        return new TrainingConfig(
                epochs,
                maxSteps,
                size,
                accumulation,
                learningRate,
                weightDecay,
                warmupSteps,
                schedule,
                clipNorm,
                proximalMu,
                maxLength,
                seed);
    }

    public TrainingConfig withSchedule(Schedule s, int warmup) {
        return new TrainingConfig(
                epochs,
                maxSteps,
                batchSize,
                gradientAccumulation,
                learningRate,
                weightDecay,
                warmup,
                s,
                clipNorm,
                proximalMu,
                maxLength,
                seed);
    }

    public TrainingConfig withClipNorm(double norm) {
        return new TrainingConfig(
                epochs,
                maxSteps,
                batchSize,
                gradientAccumulation,
                learningRate,
                weightDecay,
                warmupSteps,
                schedule,
                norm,
                proximalMu,
                maxLength,
                seed);
    }

    public TrainingConfig withProximalMu(double mu) {
        return new TrainingConfig(
                epochs,
                maxSteps,
                batchSize,
                gradientAccumulation,
                learningRate,
                weightDecay,
                warmupSteps,
                schedule,
                clipNorm,
                mu,
                maxLength,
                seed);
    }

    public TrainingConfig withWeightDecay(double decay) {
        return new TrainingConfig(
                epochs,
                maxSteps,
                batchSize,
                gradientAccumulation,
                learningRate,
                decay,
                warmupSteps,
                schedule,
                clipNorm,
                proximalMu,
                maxLength,
                seed);
    }

    public TrainingConfig withMaxLength(int length) {
        return new TrainingConfig(
                epochs,
                maxSteps,
                batchSize,
                gradientAccumulation,
                learningRate,
                weightDecay,
                warmupSteps,
                schedule,
                clipNorm,
                proximalMu,
                length,
                seed);
    }

    public TrainingConfig withSeed(long newSeed) {
        return new TrainingConfig(
                epochs,
                maxSteps,
                batchSize,
                gradientAccumulation,
                learningRate,
                weightDecay,
                warmupSteps,
                schedule,
                clipNorm,
                proximalMu,
                maxLength,
                newSeed);
    }
}
