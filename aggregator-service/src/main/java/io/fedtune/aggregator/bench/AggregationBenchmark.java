package io.fedtune.aggregator.bench;

import io.fedtune.aggregator.aggregation.BlobTensorInput;
import io.fedtune.aggregator.aggregation.DenseAggregation;
import io.fedtune.aggregator.aggregation.DenseRule;
import io.fedtune.aggregator.aggregation.FloatReader;
import io.fedtune.aggregator.aggregation.SafetensorsFileWriter;
import io.fedtune.aggregator.aggregation.ServerOptimizer;
import io.fedtune.aggregator.aggregation.TensorInput;
import io.fedtune.aggregator.aggregation.TensorSink;
import io.fedtune.aggregator.aggregation.TensorSpec;
import io.fedtune.blobstore.BlobStore;
import io.fedtune.blobstore.FileSystemBlobStore;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;

/**
 * {@code fedtune bench aggregation}: FedAvg over N F32 updates, read from a filesystem blob store through exactly the
 * code the service aggregates with ({@link BlobTensorInput} → {@link DenseAggregation}), and reports update bytes
 * consumed per second. The updates are laid out like an adapter (64 tensors) and written once before timing; the
 * new global adapter is written to a temporary file as the service would.
 */
public final class AggregationBenchmark {

    /**
     * The benchmark's knobs.
     *
     * @param clients updates per round
     * @param params parameters per update
     * @param tensors how many tensors the parameters are split into
     * @param threads aggregation workers (0: one per core)
     * @param repeats timed runs (the best is reported)
     * @param directory where the blob store lives (null: a temporary directory, deleted afterwards)
     * @param tile values per tile (0: the service's default)
     * @param fromMemory read every update into heap arrays once before timing and sum those, writing the result to
     *     heap arrays: the engine's arithmetic alone, as NumPy sums arrays it already holds (not the service's path)
     */
    public record Options(
            int clients,
            long params,
            int tensors,
            int threads,
            int repeats,
            Path directory,
            int tile,
            boolean fromMemory) {}

    private AggregationBenchmark() {}

    /** Runs the benchmark and returns the best rate in GB/s; the last line printed is {@code GB/s: N}. */
    public static double run(Options options, PrintWriter out) throws IOException {
        Path directory = options.directory() != null
                ? Files.createDirectories(options.directory())
                : Files.createTempDirectory("fedtune-bench-");
        try {
            BlobStore store = new FileSystemBlobStore(directory);
            List<TensorSpec> specs = layout(options.params(), options.tensors());
            out.printf(
                    "Writing %d updates of %,d F32 parameters (%.1f MiB each) to %s%n",
                    options.clients(), options.params(), options.params() * 4 / 1048576.0, directory);
            write(store, "global.safetensors", specs, -1);
            for (int c = 0; c < options.clients(); c++) {
                write(store, "updates/client-" + c + ".safetensors", specs, c);
            }
            int threads = options.threads() > 0
                    ? options.threads()
                    : Runtime.getRuntime().availableProcessors();
            int tile = options.tile() > 0 ? options.tile() : DenseAggregation.DEFAULT_TILE;
            DenseAggregation engine = new DenseAggregation(tile, DenseAggregation.DEFAULT_UNIT, threads);
            List<HeapTensors> loaded = new ArrayList<>();
            if (options.fromMemory()) {
                for (int c = 0; c < options.clients(); c++) {
                    loaded.add(HeapTensors.read(
                            BlobTensorInput.open(store, "updates/client-" + c + ".safetensors"), specs));
                }
            }
            long bytes = options.clients() * options.params() * 4;
            double best = 0;
            // warm-up runs until the JIT has compiled the hot loops: at least two, until one is no faster than the one
            // before (on a busy machine the compiler threads get little CPU), at most six
            int warmUps = 0;
            double previous = Double.MAX_VALUE;
            for (int run = 0; run <= options.repeats(); run++) {
                boolean warmUp = run == 0;
                TensorInput global = options.fromMemory()
                        ? HeapTensors.empty(specs)
                        : BlobTensorInput.open(store, "global.safetensors");
                List<DenseAggregation.Client> clients = new ArrayList<>();
                for (int c = 0; c < options.clients(); c++) {
                    clients.add(new DenseAggregation.Client(
                            options.fromMemory()
                                    ? loaded.get(c)
                                    : BlobTensorInput.open(store, "updates/client-" + c + ".safetensors"),
                            1.0 / options.clients() * (c % 2 == 0 ? 0.5 : 1.5),
                            1.0));
                }
                long cpuStarted = processCpuNanos();
                long started = System.nanoTime();
                SafetensorsFileWriter file = null;
                if (options.fromMemory()) {
                    aggregate(engine, specs, global, clients, HeapTensors.empty(specs));
                } else {
                    file = SafetensorsFileWriter.temporary(specs, Map.of());
                    try (SafetensorsFileWriter output = file) {
                        aggregate(engine, specs, global, clients, output);
                    } catch (IOException | RuntimeException e) {
                        Files.deleteIfExists(file.path());
                        throw e;
                    }
                }
                double seconds = (System.nanoTime() - started) / 1e9;
                double cpuSeconds = (processCpuNanos() - cpuStarted) / 1e9;
                // the new adapter is written and closed inside the timing, as the service writes it before storing it;
                // removing it is the benchmark's own housekeeping (freeing a closed file's 32 MB of page cache costs
                // tens of milliseconds on ext4), so it happens after
                if (file != null) {
                    Files.deleteIfExists(file.path());
                }
                double rate = bytes / seconds / 1e9;
                out.printf(
                        "%s: %.3f s, %.2f GB/s (%.3f CPU-s, %.2f GB per CPU-second)%n",
                        warmUp ? "warm-up " + (warmUps + 1) : "run " + run,
                        seconds,
                        rate,
                        cpuSeconds,
                        bytes / cpuSeconds / 1e9);
                out.flush();
                if (warmUp) {
                    warmUps++;
                    boolean settled = warmUps >= 2 && cpuSeconds >= 0.9 * previous;
                    previous = cpuSeconds;
                    if (!settled && warmUps < 6) {
                        run--;
                    }
                } else {
                    best = Math.max(best, rate);
                }
            }
            out.printf(
                    "clients: %d, params: %,d, update bytes per round: %,d, threads: %d, tile: %d, from %s%n",
                    options.clients(),
                    options.params(),
                    bytes,
                    threads,
                    tile,
                    options.fromMemory() ? "heap arrays loaded once" : "the blob store, every run");
            out.printf("GB/s: %.2f%n", best);
            out.flush();
            return best;
        } finally {
            if (options.directory() == null) {
                try (Stream<Path> paths = Files.walk(directory)) {
                    paths.sorted(Comparator.reverseOrder())
                            .forEach(p -> p.toFile().delete());
                }
            }
        }
    }

    private static void aggregate(
            DenseAggregation engine,
            List<TensorSpec> specs,
            TensorInput global,
            List<DenseAggregation.Client> clients,
            TensorSink output)
            throws IOException {
        engine.run(specs, global, clients, new DenseRule.Average(ServerOptimizer.none()), null, output, null, 0, 1);
    }

    /** An update held in heap arrays, one per tensor; also a sink for the result. */
    private record HeapTensors(Map<String, float[]> values) implements TensorInput, TensorSink {

        static HeapTensors empty(List<TensorSpec> specs) {
            Map<String, float[]> values = new java.util.HashMap<>();
            for (TensorSpec spec : specs) {
                values.put(spec.name(), new float[Math.toIntExact(spec.elements())]);
            }
            return new HeapTensors(values);
        }

        static HeapTensors read(TensorInput input, List<TensorSpec> specs) throws IOException {
            Map<String, float[]> values = new java.util.HashMap<>();
            for (TensorSpec spec : specs) {
                values.put(spec.name(), input.readAll(spec.name()));
            }
            return new HeapTensors(values);
        }

        @Override
        public int[] shape(String tensor) {
            float[] data = values.get(tensor);
            return data == null ? null : new int[] {data.length};
        }

        @Override
        public FloatReader open(String tensor, long from, long count) {
            float[] data = values.get(tensor);
            if (data == null || from < 0 || count < 0 || from + count > data.length) {
                throw new IllegalArgumentException("range outside " + tensor);
            }
            return new FloatReader() {
                private int position = (int) from;

                @Override
                public void read(float[] dst, int offset, int length) {
                    System.arraycopy(data, position, dst, offset, length);
                    position += length;
                }

                @Override
                public void close() {}
            };
        }

        @Override
        public void write(String tensor, long from, float[] src, int offset, int length) {
            System.arraycopy(src, offset, values.get(tensor), Math.toIntExact(from), length);
        }
    }

    /** CPU time of this process (all threads), where the JVM reports it; a load-independent cost figure. */
    private static long processCpuNanos() {
        java.lang.management.OperatingSystemMXBean os =
                java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        return os instanceof com.sun.management.OperatingSystemMXBean sun ? sun.getProcessCpuTime() : 0;
    }

    private static List<TensorSpec> layout(long params, int tensors) {
        List<TensorSpec> specs = new ArrayList<>();
        long per = params / tensors;
        for (int t = 0; t < tensors; t++) {
            long size = t == tensors - 1 ? params - per * (tensors - 1) : per;
            specs.add(
                    new TensorSpec("base_model.model.layers." + t + ".lora.weight", new int[] {Math.toIntExact(size)}));
        }
        return specs;
    }

    private static void write(BlobStore store, String key, List<TensorSpec> specs, long seed) throws IOException {
        SplittableRandom random = new SplittableRandom(seed);
        try (SafetensorsFileWriter writer = SafetensorsFileWriter.temporary(specs, Map.of())) {
            float[] chunk = new float[1 << 16];
            for (TensorSpec spec : specs) {
                for (long done = 0; done < spec.elements(); done += chunk.length) {
                    int n = (int) Math.min(chunk.length, spec.elements() - done);
                    for (int i = 0; i < n; i++) {
                        chunk[i] = seed < 0 ? 0f : (float) random.nextGaussian();
                    }
                    writer.write(spec.name(), done, chunk, 0, n);
                }
            }
            writer.close();
            try (InputStream in = Files.newInputStream(writer.path())) {
                store.put(key, in);
            } finally {
                Files.deleteIfExists(writer.path());
            }
            // flush the setup's writes now, so the disk write-back does not run inside the timed rounds
            java.util.Optional<Path> file = store.localFile(key);
            if (file.isPresent()) {
                try (java.nio.channels.FileChannel channel = java.nio.channels.FileChannel.open(file.get())) {
                    channel.force(true);
                }
            }
        }
    }

    /** {@code java … AggregationBenchmark [clients] [params]}. */
    public static void main(String[] args) throws IOException {
        int clients = args.length > 0 ? Integer.parseInt(args[0]) : 20;
        long params = args.length > 1 ? Long.parseLong(args[1]) : 8_000_000L;
        run(new Options(clients, params, 64, 0, 3, null, 0, false), new PrintWriter(System.out, true));
    }
}
