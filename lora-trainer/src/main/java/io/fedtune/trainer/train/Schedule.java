package io.fedtune.trainer.train;

/** Learning-rate decay after warm-up. */
public enum Schedule {
    COSINE,
    LINEAR,
    CONSTANT;

    /**
     * The learning rate of optimizer step {@code step} (0-based) of {@code total}: linear warm-up over {@code warmup}
     * steps (the first step already gets 1/warmup of the peak), then this decay to zero at the last step.
     */
    public double rate(double peak, int step, int total, int warmup) {
        if (step < warmup) {
            return peak * (step + 1) / warmup;
        }
        if (this == CONSTANT || total <= warmup) {
            return peak;
        }
        double progress = (double) (step - warmup) / Math.max(1, total - warmup);
        return switch (this) {
            case COSINE -> peak * 0.5 * (1 + Math.cos(Math.PI * progress));
            case LINEAR -> peak * (1 - progress);
            case CONSTANT -> peak;
        };
    }
}
