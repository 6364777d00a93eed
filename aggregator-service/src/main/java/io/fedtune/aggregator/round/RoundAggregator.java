package io.fedtune.aggregator.round;

import io.fedtune.aggregator.aggregation.AdapterLayout;
import io.fedtune.aggregator.aggregation.BlobTensorInput;
import io.fedtune.aggregator.aggregation.DenseAggregation;
import io.fedtune.aggregator.aggregation.DenseRule;
import io.fedtune.aggregator.aggregation.LowRank;
import io.fedtune.aggregator.aggregation.SafetensorsFileWriter;
import io.fedtune.aggregator.aggregation.ServerOptimizer;
import io.fedtune.aggregator.aggregation.TensorInput;
import io.fedtune.aggregator.aggregation.TensorSpec;
import io.fedtune.aggregator.system.AggregatorProperties;
import io.fedtune.blobstore.BlobInfo;
import io.fedtune.blobstore.BlobStore;
import io.fedtune.protocol.api.FederationConfig;
import io.fedtune.protocol.api.LoraMode;
import io.fedtune.protocol.api.PeftMethod;
import io.fedtune.protocol.api.PrivacyMode;
import io.fedtune.protocol.api.RoundMetrics;
import io.fedtune.protocol.api.StrategySpec;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.springframework.stereotype.Component;

/**
 * Runs one round's aggregation: reads the accepted updates from the blob store, applies the federation's LoRA mode
 * and strategy, and stores the new global adapter (and optimizer state) under deterministic keys, so that a retry
 * after a crash overwrites rather than adds.
 */
@Component
class RoundAggregator {

    /**
     * What the aggregation produced.
     *
     * @param adapter the stored adapter
     * @param rank its rank
     * @param stateKey the stored optimizer state (or null)
     * @param metrics the round's aggregate
     */
    record Outcome(BlobInfo adapter, int rank, String stateKey, RoundMetrics metrics) {}

    private final BlobStore blobs;
    private final AggregatorProperties properties;

    RoundAggregator(BlobStore blobs, AggregatorProperties properties) {
        this.blobs = blobs;
        this.properties = properties;
    }

    Outcome aggregate(
            UUID federationId, FederationConfig config, Round round, AdapterVersion base, List<AcceptedUpdate> updates)
            throws IOException {
        long started = System.nanoTime();
        AdapterLayout layout = AdapterLayout.of(config);
        LoraMode mode = layout.method() == PeftMethod.PROMPT_TUNING
                ? LoraMode.FEDIT
                : config.strategy().loraMode();
        boolean dp = config.privacy().mode() == PrivacyMode.DP_FEDAVG;
        long examples = updates.stream().mapToLong(AcceptedUpdate::exampleCount).sum();
        double[] weights = new double[updates.size()];
        double[] clips = new double[updates.size()];
        for (int i = 0; i < updates.size(); i++) {
            AcceptedUpdate u = updates.get(i);
            weights[i] = dp ? 1.0 / updates.size() : (double) u.exampleCount() / examples;
            clips[i] = u.clipFactor();
            if (dp && u.norm() > config.privacy().clipNorm()) {
                clips[i] = Math.min(clips[i], config.privacy().clipNorm() / u.norm());
            }
        }
        List<TensorInput> inputs = new ArrayList<>();
        for (AcceptedUpdate u : updates) {
            inputs.add(BlobTensorInput.open(blobs, u.blobKey()));
        }
        BlobTensorInput global = BlobTensorInput.open(blobs, base.blobKey());
        String adapterKey = AdapterStore.adapterKey(federationId, round.number());
        String stateKey = null;
        BlobInfo adapter;
        int rank;
        if (mode == LoraMode.FEDIT || mode == LoraMode.FFA) {
            rank = layout.rank();
            List<TensorSpec> dense = layout.denseTensors(mode);
            ServerOptimizer optimizer = optimizer(config.strategy());
            DenseRule rule = rule(config.strategy(), optimizer);
            List<TensorSpec> stateTensors = new ArrayList<>();
            for (TensorSpec spec : dense) {
                for (String slot : optimizer.stateSlots()) {
                    stateTensors.add(new TensorSpec(spec.name() + "." + slot, spec.shape()));
                }
            }
            TensorInput stateIn = base.stateKey() == null ? null : BlobTensorInput.open(blobs, base.stateKey());
            List<DenseAggregation.Client> clients = new ArrayList<>();
            for (int i = 0; i < inputs.size(); i++) {
                clients.add(new DenseAggregation.Client(inputs.get(i), weights[i], clips[i]));
            }
            double sigma =
                    dp ? config.privacy().noiseMultiplier() * config.privacy().clipNorm() / updates.size() : 0;
            try (SafetensorsFileWriter out = SafetensorsFileWriter.temporary(
                            layout.globalTensors(rank), AdapterStore.metadata(config, round.number()));
                    SafetensorsFileWriter state = stateTensors.isEmpty()
                            ? null
                            : SafetensorsFileWriter.temporary(stateTensors, Map.of("format", "pt"))) {
                for (TensorSpec spec : layout.globalTensors(rank)) {
                    if (!dense.contains(spec)) {
                        out.write(spec.name(), global.readAll(spec.name()));
                    }
                }
                new DenseAggregation(
                                DenseAggregation.DEFAULT_TILE,
                                DenseAggregation.DEFAULT_UNIT,
                                properties.aggregationThreads())
                        .run(
                                dense,
                                global,
                                clients,
                                rule,
                                stateIn,
                                out,
                                state,
                                sigma,
                                config.seed() * 1_000_003L + round.number() * 31L + round.attempt());
                adapter = store(out, adapterKey);
                if (state != null) {
                    stateKey = AdapterStore.stateKey(federationId, round.number());
                    store(state, stateKey);
                }
            }
        } else {
            LowRankOutput output = lowRank(config, layout, mode, global, base, inputs, weights, clips);
            rank = output.rank;
            adapter = store(output, adapterKey, config, round.number());
        }
        long bytesIn = updates.stream().mapToLong(AcceptedUpdate::sizeBytes).sum();
        Map<String, Double> clientMetrics = weightedMetrics(updates, examples);
        Double epsilon = dp
                ? epsilon(
                        config.privacy().noiseMultiplier(),
                        round.number(),
                        config.privacy().delta())
                : null;
        RoundMetrics metrics = new RoundMetrics(
                updates.size(),
                examples,
                clientMetrics,
                bytesIn,
                adapter.size(),
                (System.nanoTime() - started) / 1_000_000,
                epsilon,
                dp ? config.privacy().delta() : null);
        return new Outcome(adapter, rank, stateKey, metrics);
    }

    private BlobInfo store(SafetensorsFileWriter file, String key) throws IOException {
        file.close();
        try (InputStream in = Files.newInputStream(file.path())) {
            return blobs.put(key, in);
        } finally {
            Files.deleteIfExists(file.path());
        }
    }

    private record LowRankOutput(List<TensorSpec> specs, Map<String, float[]> values, int rank) {}

    private BlobInfo store(LowRankOutput output, String key, FederationConfig config, int version) throws IOException {
        try (SafetensorsFileWriter out =
                SafetensorsFileWriter.temporary(output.specs(), AdapterStore.metadata(config, version))) {
            for (TensorSpec spec : output.specs()) {
                out.write(spec.name(), output.values().get(spec.name()));
            }
            return store(out, key);
        }
    }

    private LowRankOutput lowRank(
            FederationConfig config,
            AdapterLayout layout,
            LoraMode mode,
            TensorInput global,
            AdapterVersion base,
            List<TensorInput> inputs,
            double[] weights,
            double[] clips)
            throws IOException {
        List<TensorSpec> specs = new ArrayList<>();
        Map<String, float[]> values = new HashMap<>();
        int outRank = layout.rank();
        double alpha = config.peft().alpha();
        for (AdapterLayout.Module module : layout.modules()) {
            int globalRank = global.shape(module.aKey())[0];
            float[] bg = global.readAll(module.bKey());
            float[] ag = global.readAll(module.aKey());
            double sg = config.peft().scale(globalRank);
            List<LowRank.Part> parts = new ArrayList<>();
            double globalShare = 0;
            for (int i = 0; i < inputs.size(); i++) {
                int r = inputs.get(i).shape(module.aKey())[0];
                float[] b = inputs.get(i).readAll(module.bKey());
                float[] a = inputs.get(i).readAll(module.aKey());
                double coefficient = mode == LoraMode.HETLORA
                        ? weights[i] * clips[i]
                        : weights[i] * config.peft().scale(r) * clips[i];
                parts.add(new LowRank.Part(b, a, r, coefficient));
                globalShare += weights[i] * (1 - clips[i]);
            }
            LowRank.Factors factors;
            if (mode == LoraMode.HETLORA) {
                if (globalShare > 0) {
                    parts.add(new LowRank.Part(bg, ag, globalRank, globalShare));
                }
                factors = LowRank.padAverage(parts, module.out(), module.in(), layout.rank());
            } else if (mode == LoraMode.EXACT) {
                if (globalShare > 0) {
                    parts.add(new LowRank.Part(bg, ag, globalRank, globalShare * sg));
                }
                factors = LowRank.refactorise(
                        parts, module.out(), module.in(), layout.rank(), alpha(config, layout.rank()));
            } else {
                if (base.version() > 0 && !allZero(bg)) {
                    parts.add(0, new LowRank.Part(bg, ag, globalRank, sg));
                }
                int total = parts.stream().mapToInt(LowRank.Part::rank).sum();
                int max = config.strategy().stackMaxRank();
                factors = max > 0 && total > max
                        ? LowRank.refactorise(parts, module.out(), module.in(), max, alpha(config, max))
                        : LowRank.stack(parts, module.out(), module.in(), alpha(config, total));
            }
            outRank = factors.rank();
            specs.add(module.a(factors.rank()));
            specs.add(module.b(factors.rank()));
            values.put(module.aKey(), factors.a());
            values.put(module.bKey(), factors.b());
        }
        return new LowRankOutput(specs, values, outRank);
    }

    private static double alpha(FederationConfig config, int rank) {
        return config.peft().scale(rank);
    }

    private static boolean allZero(float[] values) {
        for (float v : values) {
            if (v != 0) {
                return false;
            }
        }
        return true;
    }

    static ServerOptimizer optimizer(StrategySpec s) {
        return switch (s.name()) {
            case FEDAVGM ->
                new ServerOptimizer(
                        ServerOptimizer.Kind.AVGM, s.effectiveServerLearningRate(), s.effectiveMomentum(), 0, 0);
            case FEDADAM ->
                new ServerOptimizer(
                        ServerOptimizer.Kind.ADAM,
                        s.effectiveServerLearningRate(),
                        s.effectiveBeta1(),
                        s.effectiveBeta2(),
                        s.effectiveTau());
            case FEDYOGI ->
                new ServerOptimizer(
                        ServerOptimizer.Kind.YOGI,
                        s.effectiveServerLearningRate(),
                        s.effectiveBeta1(),
                        s.effectiveBeta2(),
                        s.effectiveTau());
            case FEDADAGRAD ->
                new ServerOptimizer(
                        ServerOptimizer.Kind.ADAGRAD,
                        s.effectiveServerLearningRate(),
                        s.effectiveBeta1(),
                        s.effectiveBeta2(),
                        s.effectiveTau());
            default -> ServerOptimizer.none();
        };
    }

    static DenseRule rule(StrategySpec s, ServerOptimizer optimizer) {
        return switch (s.name()) {
            case MEDIAN -> new DenseRule.Median();
            case TRIMMED_MEAN -> new DenseRule.TrimmedMean(s.effectiveTrimFraction());
            case KRUM -> new DenseRule.Krum(s.byzantineClients(), 1, optimizer);
            case MULTI_KRUM -> new DenseRule.Krum(s.byzantineClients(), s.multiKrumSelect(), optimizer);
            default -> new DenseRule.Average(optimizer);
        };
    }

    private static Map<String, Double> weightedMetrics(List<AcceptedUpdate> updates, long examples) {
        Map<String, Double> sums = new HashMap<>();
        Map<String, Long> weights = new HashMap<>();
        for (AcceptedUpdate u : updates) {
            u.metrics().forEach((name, value) -> {
                sums.merge(name, value * u.exampleCount(), Double::sum);
                weights.merge(name, u.exampleCount(), Long::sum);
            });
        }
        Map<String, Double> means = new java.util.TreeMap<>();
        sums.forEach((name, sum) -> means.put(name, sum / weights.get(name)));
        return means;
    }

    /**
     * ε of the Gaussian mechanism after {@code rounds} rounds by Rényi DP (α/(2z²) per round, no credit taken for
     * client sampling, so this bounds ε from above).
     */
    static double epsilon(double z, int rounds, double delta) {
        double best = Double.MAX_VALUE;
        for (double alpha = 1.25; alpha <= 512; alpha *= 1.1) {
            double eps = rounds * alpha / (2 * z * z) + Math.log(1 / delta) / (alpha - 1);
            best = Math.min(best, eps);
        }
        return best;
    }
}
