package io.fedtune.launcher.demo;

import java.nio.file.Path;

/**
 * The demo's own measurements, on this machine: the loss of an adapter on the union of every client's holdout, and
 * the local-only baselines that federation has to beat.
 */
interface DemoScoring extends AutoCloseable {

    /**
     * Mean token loss on the union holdout of an adapter: a PEFT directory, or a {@code .safetensors} file of the
     * plan's LoRA layout.
     */
    double unionHoldoutLoss(Path adapter);

    /**
     * Trains {@code client}'s local-only adapter: the same initial adapter, hyper-parameters and number of steps as
     * its share of the federation, on its own training data only, and writes it to {@code outputDirectory} (PEFT
     * layout). {@code initialAdapter} is a directory or a file, as for {@link #unionHoldoutLoss}.
     */
    Path trainLocalOnly(DemoClient client, Path initialAdapter, DemoPlan plan, Path outputDirectory);

    @Override
    void close();

    /** Makes the demo's model and opens the scoring for a model and the union holdout of some clients. */
    interface Factory {

        /** Writes a tiny generated checkpoint (Hugging Face layout) into {@code directory} and returns it. */
        Path generateModel(Path directory);

        DemoScoring open(Path modelDirectory, java.util.List<DemoClient> clients, DemoPlan plan);
    }
}
