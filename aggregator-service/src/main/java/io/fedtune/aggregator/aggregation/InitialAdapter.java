package io.fedtune.aggregator.aggregation;

import java.io.IOException;
import java.util.SplittableRandom;

/**
 * The round-0 global adapter, as PEFT initialises LoRA: A Kaiming-uniform with a = √5 (uniform in ±1/√in), B zero,
 * so the adapter starts as the identity; prompt embeddings N(0, 0.02²). Drawn from the federation's seed, so FFA-LoRA's
 * shared A₀ is the same on every replica and every client.
 */
public final class InitialAdapter {

    private InitialAdapter() {}

    /** Writes the initial adapter into a sink laid out as {@link AdapterLayout#globalTensors(int)}. */
    public static void write(AdapterLayout layout, long seed, TensorSink sink) throws IOException {
        SplittableRandom random = new SplittableRandom(seed);
        if (layout.prompt() != null) {
            float[] values = new float[Math.toIntExact(layout.prompt().elements())];
            for (int i = 0; i < values.length; i++) {
                values[i] = (float) (0.02 * random.nextGaussian());
            }
            sink.write(layout.prompt().name(), 0, values, 0, values.length);
            return;
        }
        for (AdapterLayout.Module module : layout.modules()) {
            SplittableRandom moduleRandom = random.split();
            double bound = 1.0 / Math.sqrt(module.in());
            float[] a = new float[layout.rank() * module.in()];
            for (int i = 0; i < a.length; i++) {
                a[i] = (float) moduleRandom.nextDouble(-bound, bound);
            }
            sink.write(module.aKey(), 0, a, 0, a.length);
            float[] b = new float[module.out() * layout.rank()];
            sink.write(module.bKey(), 0, b, 0, b.length);
        }
    }
}
