package io.fedtune.aggregator.aggregation;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The streaming engine for dense parameterisations (FedIT's A and B, FFA-LoRA's B, prompt embeddings): every
 * aggregated tensor is cut into units of at most {@code unitElements}; units run in parallel, and within a unit the
 * clients' values stream through one tile at a time. Memory is one output-sized accumulator tile per worker plus one
 * tile buffer per client for the coordinate-wise rules: it grows with the tile, not with clients × adapter.
 *
 * <p>Each client contributes {@code x + cᵢ·(yᵢ − x)} where cᵢ ≤ 1 is its clip factor (norm bound or DP clipping).
 * With Gaussian noise configured, N(0, σ²) is added to the average before the server optimizer.
 */
public final class DenseAggregation {

    /**
     * One client's contribution.
     *
     * @param input its update
     * @param weight its weight pᵢ (weights sum to 1)
     * @param clip its clip factor cᵢ in (0, 1]
     */
    public record Client(TensorInput input, double weight, double clip) {}

    /**
     * What a run did.
     *
     * @param valuesRead client values consumed
     * @param selected indices of the clients that contributed (all but those Krum dropped)
     */
    public record Result(long valuesRead, List<Integer> selected) {}

    /** Values per tile by default: a tile and its accumulator stay in L2 cache. */
    public static final int DEFAULT_TILE = 1 << 14;

    /** Elements per unit of parallel work by default. */
    public static final long DEFAULT_UNIT = 1 << 22;

    private final int tile;
    private final long unitElements;
    private final int threads;

    /**
     * @param tile values per tile (64 Ki keeps a tile and its accumulator in L2 cache)
     * @param unitElements the largest range one worker processes at once
     * @param threads workers
     */
    public DenseAggregation(int tile, long unitElements, int threads) {
        this.tile = tile;
        this.unitElements = unitElements;
        this.threads = threads;
    }

    /** Defaults: 16 Ki-value tiles, 4 Mi-value units, one worker per core. */
    public static DenseAggregation withDefaults() {
        return new DenseAggregation(
                DEFAULT_TILE, DEFAULT_UNIT, Runtime.getRuntime().availableProcessors());
    }

    /**
     * Aggregates.
     *
     * @param tensors the tensors to aggregate (all clients and the global input have them)
     * @param global the current global values x
     * @param clients the contributions
     * @param rule how to combine
     * @param stateIn the optimizer state of the previous round (tensors {@code <name>.<slot>}), or null for zeros
     * @param out receives the new global values
     * @param stateOut receives the new optimizer state, or null when the rule keeps none
     * @param noiseStddev σ of the Gaussian noise added to the average (0 for none)
     * @param seed seeds the noise
     */
    public Result run(
            List<TensorSpec> tensors,
            TensorInput global,
            List<Client> clients,
            DenseRule rule,
            TensorInput stateIn,
            TensorSink out,
            TensorSink stateOut,
            double noiseStddev,
            long seed)
            throws IOException {
        List<Unit> units = new ArrayList<>();
        for (int t = 0; t < tensors.size(); t++) {
            TensorSpec spec = tensors.get(t);
            for (long from = 0; from < spec.elements(); from += unitElements) {
                units.add(new Unit(spec.name(), t, from, Math.min(unitElements, spec.elements() - from)));
            }
        }
        double[] weights = clients.stream().mapToDouble(Client::weight).toArray();
        List<Integer> selected = allIndices(clients.size());
        ServerOptimizer optimizer = null;
        if (rule instanceof DenseRule.Average average) {
            optimizer = average.optimizer();
        } else if (rule instanceof DenseRule.Krum krum) {
            double[][] distances = new double[clients.size()][clients.size()];
            parallel(units, unit -> accumulateDistances(unit, global, clients, distances));
            selected = KrumSelection.select(distances, krum.byzantine(), krum.select());
            weights = new double[clients.size()];
            for (int i : selected) {
                weights[i] = 1.0 / selected.size();
            }
            optimizer = krum.optimizer();
        }
        AtomicLong read = new AtomicLong();
        ServerOptimizer chosen = optimizer;
        double[] finalWeights = weights;
        parallel(units, unit -> {
            if (chosen != null) {
                average(unit, global, clients, finalWeights, chosen, stateIn, out, stateOut, noiseStddev, seed);
            } else {
                coordinateWise(unit, global, clients, rule, out);
            }
            read.addAndGet(
                    unit.count * clients.stream().filter(c -> c.weight > 0).count());
        });
        return new Result(read.get(), selected);
    }

    private record Unit(String tensor, int index, long from, long count) {}

    private interface UnitTask {
        void run(Unit unit) throws IOException;
    }

    private void parallel(List<Unit> units, UnitTask task) throws IOException {
        if (threads <= 1 || units.size() == 1) {
            for (Unit unit : units) {
                task.run(unit);
            }
            return;
        }
        ExecutorService pool = Executors.newFixedThreadPool(Math.min(threads, units.size()), r -> {
            Thread thread = new Thread(r, "fedtune-aggregation");
            thread.setDaemon(true);
            return thread;
        });
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (Unit unit : units) {
                futures.add(pool.submit(() -> {
                    try {
                        task.run(unit);
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                }));
            }
            for (Future<?> future : futures) {
                future.get();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("aggregation interrupted", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof UncheckedIOException io) {
                throw io.getCause();
            }
            if (e.getCause() instanceof RuntimeException runtime) {
                throw runtime;
            }
            throw new IOException(e.getCause());
        } finally {
            pool.shutdownNow();
        }
    }

    private void average(
            Unit unit,
            TensorInput global,
            List<Client> clients,
            double[] weights,
            ServerOptimizer optimizer,
            TensorInput stateIn,
            TensorSink out,
            TensorSink stateOut,
            double noiseStddev,
            long seed)
            throws IOException {
        List<String> slots = optimizer.stateSlots();
        float[] x = new float[tile];
        float[] acc = new float[tile];
        float[] buffer = new float[tile];
        float[] result = new float[tile];
        float[][] state = new float[slots.size()][tile];
        SplittableRandom random = new SplittableRandom(seed ^ (unit.index * 0x9E3779B97F4A7C15L) ^ unit.from);
        List<FloatReader> readers = new ArrayList<>();
        try {
            FloatReader[] clientReaders = new FloatReader[clients.size()];
            double xWeight = 0;
            for (int i = 0; i < clients.size(); i++) {
                if (weights[i] > 0) {
                    clientReaders[i] = track(readers, clients.get(i).input.open(unit.tensor, unit.from, unit.count));
                    xWeight += weights[i] * (1 - clients.get(i).clip);
                }
            }
            // plain FedAvg of unclipped updates never looks at the current global values: skip reading them
            boolean plain = optimizer.kind() == ServerOptimizer.Kind.NONE;
            FloatReader globalReader =
                    plain && xWeight == 0 ? null : track(readers, global.open(unit.tensor, unit.from, unit.count));
            FloatReader[] stateReaders = new FloatReader[slots.size()];
            for (int s = 0; s < slots.size(); s++) {
                String name = unit.tensor + "." + slots.get(s);
                stateReaders[s] = stateIn == null || stateIn.shape(name) == null
                        ? null
                        : track(readers, stateIn.open(name, unit.from, unit.count));
            }
            for (long done = 0; done < unit.count; ) {
                int n = (int) Math.min(tile, unit.count - done);
                if (globalReader != null) {
                    globalReader.read(x, 0, n);
                }
                Arrays.fill(acc, 0, n, 0f);
                for (int i = 0; i < clientReaders.length; i++) {
                    if (clientReaders[i] == null) {
                        continue;
                    }
                    clientReaders[i].read(buffer, 0, n);
                    fma(acc, buffer, (float) (weights[i] * clients.get(i).clip), n);
                }
                if (xWeight != 0) {
                    fma(acc, x, (float) xWeight, n);
                }
                if (noiseStddev > 0) {
                    for (int j = 0; j < n; j++) {
                        acc[j] += (float) (noiseStddev * random.nextGaussian());
                    }
                }
                for (int s = 0; s < slots.size(); s++) {
                    if (stateReaders[s] == null) {
                        Arrays.fill(state[s], 0, n, 0f);
                    } else {
                        stateReaders[s].read(state[s], 0, n);
                    }
                }
                if (plain) {
                    out.write(unit.tensor, unit.from + done, acc, 0, n);
                } else {
                    optimizer.apply(x, acc, state, result, n);
                    out.write(unit.tensor, unit.from + done, result, 0, n);
                }
                for (int s = 0; s < slots.size(); s++) {
                    stateOut.write(unit.tensor + "." + slots.get(s), unit.from + done, state[s], 0, n);
                }
                done += n;
            }
        } finally {
            closeAll(readers);
        }
    }

    /** acc += a·v over the first n values: the hot loop, written so that the JIT vectorises it. */
    static void fma(float[] acc, float[] v, float a, int n) {
        for (int j = 0; j < n; j++) {
            acc[j] += a * v[j];
        }
    }

    private void coordinateWise(Unit unit, TensorInput global, List<Client> clients, DenseRule rule, TensorSink out)
            throws IOException {
        int n = clients.size();
        float[] x = new float[tile];
        float[][] values = new float[n][tile];
        float[] result = new float[tile];
        float[] column = new float[n];
        int trim = rule instanceof DenseRule.TrimmedMean trimmed ? (int) Math.floor(trimmed.beta() * n) : 0;
        if (rule instanceof DenseRule.TrimmedMean && 2 * trim >= n) {
            trim = (n - 1) / 2;
        }
        List<FloatReader> readers = new ArrayList<>();
        try {
            FloatReader globalReader = track(readers, global.open(unit.tensor, unit.from, unit.count));
            FloatReader[] clientReaders = new FloatReader[n];
            for (int i = 0; i < n; i++) {
                clientReaders[i] = track(readers, clients.get(i).input.open(unit.tensor, unit.from, unit.count));
            }
            for (long done = 0; done < unit.count; ) {
                int len = (int) Math.min(tile, unit.count - done);
                globalReader.read(x, 0, len);
                for (int i = 0; i < n; i++) {
                    clientReaders[i].read(values[i], 0, len);
                    clip(values[i], x, (float) clients.get(i).clip, len);
                }
                for (int j = 0; j < len; j++) {
                    for (int i = 0; i < n; i++) {
                        column[i] = values[i][j];
                    }
                    Arrays.sort(column);
                    if (rule instanceof DenseRule.Median) {
                        result[j] = n % 2 == 1 ? column[n / 2] : (column[n / 2 - 1] + column[n / 2]) / 2f;
                    } else {
                        double sum = 0;
                        for (int i = trim; i < n - trim; i++) {
                            sum += column[i];
                        }
                        result[j] = (float) (sum / (n - 2 * trim));
                    }
                }
                out.write(unit.tensor, unit.from + done, result, 0, len);
                done += len;
            }
        } finally {
            closeAll(readers);
        }
    }

    private void accumulateDistances(Unit unit, TensorInput global, List<Client> clients, double[][] distances)
            throws IOException {
        int n = clients.size();
        float[] x = new float[tile];
        float[][] values = new float[n][tile];
        double[][] partial = new double[n][n];
        List<FloatReader> readers = new ArrayList<>();
        try {
            FloatReader globalReader = track(readers, global.open(unit.tensor, unit.from, unit.count));
            FloatReader[] clientReaders = new FloatReader[n];
            for (int i = 0; i < n; i++) {
                clientReaders[i] = track(readers, clients.get(i).input.open(unit.tensor, unit.from, unit.count));
            }
            for (long done = 0; done < unit.count; ) {
                int len = (int) Math.min(tile, unit.count - done);
                globalReader.read(x, 0, len);
                for (int i = 0; i < n; i++) {
                    clientReaders[i].read(values[i], 0, len);
                    clip(values[i], x, (float) clients.get(i).clip, len);
                }
                for (int a = 0; a < n; a++) {
                    for (int b = a + 1; b < n; b++) {
                        double sum = 0;
                        float[] va = values[a];
                        float[] vb = values[b];
                        for (int j = 0; j < len; j++) {
                            double d = va[j] - vb[j];
                            sum += d * d;
                        }
                        partial[a][b] += sum;
                    }
                }
                done += len;
            }
        } finally {
            closeAll(readers);
        }
        synchronized (distances) {
            for (int a = 0; a < n; a++) {
                for (int b = a + 1; b < n; b++) {
                    distances[a][b] += partial[a][b];
                    distances[b][a] += partial[a][b];
                }
            }
        }
    }

    private static void clip(float[] y, float[] x, float c, int n) {
        if (c >= 1f) {
            return;
        }
        for (int j = 0; j < n; j++) {
            y[j] = x[j] + c * (y[j] - x[j]);
        }
    }

    private static FloatReader track(List<FloatReader> readers, FloatReader reader) {
        readers.add(reader);
        return reader;
    }

    private static void closeAll(List<FloatReader> readers) throws IOException {
        IOException first = null;
        for (FloatReader reader : readers) {
            try {
                reader.close();
            } catch (IOException e) {
                first = first == null ? e : first;
            }
        }
        if (first != null) {
            throw first;
        }
    }

    private static List<Integer> allIndices(int n) {
        List<Integer> all = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            all.add(i);
        }
        return all;
    }
}
