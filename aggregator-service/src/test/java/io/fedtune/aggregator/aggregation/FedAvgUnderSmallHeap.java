package io.fedtune.aggregator.aggregation;

import io.fedtune.blobstore.BlobStore;
import io.fedtune.blobstore.FileSystemBlobStore;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The child process of {@link FedAvgBoundedMemoryTests}: writes {@value #CLIENTS} F32 updates of {@value #PARAMS}
 * parameters each into a filesystem blob store (streamed, never whole in heap), averages them through the service's
 * FedAvg path ({@link BlobTensorInput} → {@link DenseAggregation} → {@link SafetensorsFileWriter}), and checks every
 * value of the new adapter against the weighted average. Exits 0 when all match; run it under a heap far smaller
 * than the updates. With {@code --hold-in-heap} it first reads every update into heap arrays, as a non-streaming
 * aggregation would, and then runs the same checks.
 */
public final class FedAvgUnderSmallHeap {

    static final int CLIENTS = 20;
    static final int TENSORS = 32;
    static final int ROWS = 256;
    static final int COLUMNS = 1024;
    static final long PARAMS = (long) TENSORS * ROWS * COLUMNS;

    private FedAvgUnderSmallHeap() {}

    public static void main(String[] args) throws IOException {
        Path directory = Path.of(args[0]);
        boolean holdInHeap = args.length > 1 && args[1].equals("--hold-in-heap");
        BlobStore store = new FileSystemBlobStore(directory.resolve("blobs"));
        List<TensorSpec> specs = specs();
        write(store, "global.safetensors", specs, -1);
        for (int c = 0; c < CLIENTS; c++) {
            write(store, update(c), specs, c);
        }
        System.out.printf(
                java.util.Locale.ROOT,
                "wrote %d updates of %,d parameters (%,d bytes in all) under a heap of at most %,d bytes%n",
                CLIENTS,
                PARAMS,
                CLIENTS * PARAMS * 4,
                Runtime.getRuntime().maxMemory());

        List<float[]> held = new ArrayList<>();
        if (holdInHeap) {
            for (int c = 0; c < CLIENTS; c++) {
                BlobTensorInput input = BlobTensorInput.open(store, update(c));
                for (TensorSpec spec : specs) {
                    held.add(input.readAll(spec.name()));
                }
            }
        }
        List<DenseAggregation.Client> clients = new ArrayList<>();
        for (int c = 0; c < CLIENTS; c++) {
            clients.add(new DenseAggregation.Client(BlobTensorInput.open(store, update(c)), weight(c), 1.0));
        }
        SafetensorsFileWriter output = SafetensorsFileWriter.temporary(specs, Map.of("format", "pt"));
        try {
            try (output) {
                new DenseAggregation(
                                DenseAggregation.DEFAULT_TILE,
                                DenseAggregation.DEFAULT_UNIT,
                                Runtime.getRuntime().availableProcessors())
                        .run(
                                specs,
                                BlobTensorInput.open(store, "global.safetensors"),
                                clients,
                                new DenseRule.Average(ServerOptimizer.none()),
                                null,
                                output,
                                null,
                                0,
                                1);
            }
            try (InputStream in = Files.newInputStream(output.path())) {
                store.put("adapter.safetensors", in);
            }
        } finally {
            Files.deleteIfExists(output.path());
        }
        System.out.println("held " + held.size() + " tensors in heap");

        BlobTensorInput adapter = BlobTensorInput.open(store, "adapter.safetensors");
        float[] tile = new float[1 << 16];
        long checked = 0;
        double worst = 0;
        for (int t = 0; t < specs.size(); t++) {
            TensorSpec spec = specs.get(t);
            try (FloatReader reader = adapter.open(spec.name(), 0, spec.elements())) {
                for (long from = 0; from < spec.elements(); from += tile.length) {
                    int n = (int) Math.min(tile.length, spec.elements() - from);
                    reader.read(tile, 0, n);
                    for (int j = 0; j < n; j++) {
                        long index = t * spec.elements() + from + j;
                        double expected = 0;
                        for (int c = 0; c < CLIENTS; c++) {
                            expected += weight(c) * value(c, index);
                        }
                        double error = Math.abs(tile[j] - expected);
                        if (!(error <= 2e-4)) {
                            System.out.printf(
                                    java.util.Locale.ROOT,
                                    "MISMATCH at %s[%d]: got %s, expected %s%n",
                                    spec.name(),
                                    from + j,
                                    tile[j],
                                    expected);
                            System.exit(1);
                        }
                        worst = Math.max(worst, error);
                        checked++;
                    }
                }
            }
        }
        if (checked != PARAMS) {
            System.out.println("MISMATCH: checked " + checked + " values, expected " + PARAMS);
            System.exit(1);
        }
        System.out.printf(
                java.util.Locale.ROOT, "checked all %,d averaged values, largest error %.3g%n", checked, worst);
    }

    static String update(int client) {
        return "updates/client-" + client + ".safetensors";
    }

    /** Client c's FedAvg weight, proportional to c + 1 (the weights sum to 1). */
    static double weight(int client) {
        return (client + 1) / (CLIENTS * (CLIENTS + 1) / 2.0);
    }

    /** Client c's value at a flat index over all tensors: differs per client and per index. */
    static float value(int client, long index) {
        return (float) ((client + 1) * 0.25 + ((index * 7 + client * 13) % 1001) / 1001.0);
    }

    static List<TensorSpec> specs() {
        List<TensorSpec> specs = new ArrayList<>();
        for (int t = 0; t < TENSORS; t++) {
            specs.add(new TensorSpec("base_model.model.layers." + t + ".lora.weight", new int[] {ROWS, COLUMNS}));
        }
        return specs;
    }

    /** Writes one file a chunk at a time through a temporary file, then streams it into the store. */
    private static void write(BlobStore store, String key, List<TensorSpec> specs, int client) throws IOException {
        SafetensorsFileWriter writer = SafetensorsFileWriter.temporary(specs, Map.of("format", "pt"));
        try {
            try (writer) {
                float[] chunk = new float[1 << 16];
                for (int t = 0; t < specs.size(); t++) {
                    TensorSpec spec = specs.get(t);
                    for (long from = 0; from < spec.elements(); from += chunk.length) {
                        int n = (int) Math.min(chunk.length, spec.elements() - from);
                        for (int j = 0; j < n; j++) {
                            chunk[j] = client < 0 ? 0f : value(client, t * spec.elements() + from + j);
                        }
                        writer.write(spec.name(), from, chunk, 0, n);
                    }
                }
            }
            try (InputStream in = Files.newInputStream(writer.path())) {
                store.put(key, in);
            }
        } finally {
            Files.deleteIfExists(writer.path());
        }
    }
}
