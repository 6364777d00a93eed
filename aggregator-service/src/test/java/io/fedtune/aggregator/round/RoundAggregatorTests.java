package io.fedtune.aggregator.round;

import static org.assertj.core.api.Assertions.assertThat;

import io.fedtune.aggregator.aggregation.AdapterLayout;
import io.fedtune.aggregator.aggregation.BlobTensorInput;
import io.fedtune.aggregator.aggregation.InitialAdapter;
import io.fedtune.aggregator.aggregation.LowRank;
import io.fedtune.aggregator.aggregation.SafetensorsFileWriter;
import io.fedtune.aggregator.aggregation.TensorSpec;
import io.fedtune.aggregator.system.AggregatorProperties;
import io.fedtune.blobstore.BlobInfo;
import io.fedtune.blobstore.BlobStore;
import io.fedtune.blobstore.FileSystemBlobStore;
import io.fedtune.protocol.api.BaseModelSpec;
import io.fedtune.protocol.api.ClientSelection;
import io.fedtune.protocol.api.FederationConfig;
import io.fedtune.protocol.api.LoraMode;
import io.fedtune.protocol.api.PeftMethod;
import io.fedtune.protocol.api.PeftSpec;
import io.fedtune.protocol.api.PrivacyMode;
import io.fedtune.protocol.api.PrivacySpec;
import io.fedtune.protocol.api.RoundPolicy;
import io.fedtune.protocol.api.RoundStatus;
import io.fedtune.protocol.api.StrategyName;
import io.fedtune.protocol.api.StrategySpec;
import io.fedtune.protocol.api.TargetModule;
import io.fedtune.protocol.api.TrainingSpec;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The service's aggregation path (blob store in, blob store out) in each LoRA mode and with server state. */
class RoundAggregatorTests {

    private static final int OUT = 12;
    private static final int IN = 10;
    private static final UUID FEDERATION = UUID.randomUUID();

    @TempDir
    Path root;

    private BlobStore blobs;
    private RoundAggregator aggregator;
    private final Random random = new Random(11);

    @BeforeEach
    void setUp() {
        blobs = new FileSystemBlobStore(root);
        aggregator = new RoundAggregator(
                blobs, new AggregatorProperties(null, null, null, 0, null, null, null, 2, null, null, null, null));
    }

    private static FederationConfig config(int rank, StrategySpec strategy, PrivacySpec privacy) {
        return new FederationConfig(
                "agg",
                null,
                new BaseModelSpec("tiny", null),
                new PeftSpec(
                        PeftMethod.LORA,
                        rank,
                        16,
                        0,
                        false,
                        null,
                        List.of(new TargetModule("m.q", IN, OUT), new TargetModule("m.v", IN, OUT)),
                        0),
                new TrainingSpec(1, 0, 1, 1e-3, 0, 8, 0, 0),
                strategy,
                new ClientSelection(1, 1, 10),
                new RoundPolicy(3, Duration.ofMinutes(1), null, 0),
                privacy,
                null,
                null,
                5);
    }

    private AdapterVersion initial(FederationConfig config) throws IOException {
        AdapterLayout layout = AdapterLayout.of(config);
        try (SafetensorsFileWriter writer =
                SafetensorsFileWriter.temporary(layout.globalTensors(layout.rank()), Map.of())) {
            InitialAdapter.write(layout, config.seed(), writer);
            writer.close();
            BlobInfo info = blobs.put("adapters/v0", Files.newInputStream(writer.path()));
            Files.delete(writer.path());
            return new AdapterVersion(
                    FEDERATION, 0, 0, layout.rank(), info.key(), null, info.sha256(), info.size(), null, Instant.EPOCH);
        }
    }

    private record Client(Map<String, float[]> values, int rank, long examples) {}

    private Client client(AdapterLayout layout, int rank, long examples, int index) throws IOException {
        Map<String, float[]> values = new java.util.HashMap<>();
        List<TensorSpec> specs = new ArrayList<>();
        for (AdapterLayout.Module m : layout.modules()) {
            specs.add(m.a(rank));
            specs.add(m.b(rank));
            values.put(m.aKey(), gaussian(rank * IN));
            values.put(m.bKey(), gaussian(OUT * rank));
        }
        byte[] bytes = Api.safetensors(specs, spec -> values.get(spec.name()));
        blobs.put("updates/c" + index, new ByteArrayInputStream(bytes));
        return new Client(values, rank, examples);
    }

    private float[] gaussian(int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) random.nextGaussian();
        }
        return v;
    }

    private static Round round(int number) {
        return new Round(
                1,
                FEDERATION,
                number,
                1,
                RoundStatus.AGGREGATING,
                number - 1,
                Instant.EPOCH,
                Instant.EPOCH,
                null,
                2,
                2,
                1,
                null,
                null,
                null,
                null,
                1,
                0);
    }

    private static List<AcceptedUpdate> accepted(List<Client> clients) {
        List<AcceptedUpdate> updates = new ArrayList<>();
        for (int i = 0; i < clients.size(); i++) {
            updates.add(new AcceptedUpdate(
                    UUID.randomUUID(),
                    "updates/c" + i,
                    100,
                    clients.get(i).examples(),
                    1.0,
                    1.0,
                    Map.of("loss", (double) i)));
        }
        return updates;
    }

    private static double maxDifferenceFromTarget(
            FederationConfig config, AdapterLayout.Module module, BlobTensorInput out, List<Client> clients)
            throws IOException {
        long total = clients.stream().mapToLong(Client::examples).sum();
        double[] target = new double[OUT * IN];
        for (Client c : clients) {
            double[] p = LowRank.product(
                    c.values().get(module.bKey()),
                    c.values().get(module.aKey()),
                    OUT,
                    c.rank(),
                    IN,
                    (double) c.examples() / total * config.peft().scale(c.rank()));
            for (int j = 0; j < target.length; j++) {
                target[j] += p[j];
            }
        }
        int rank = out.shape(module.aKey())[0];
        double[] merged = LowRank.product(
                out.readAll(module.bKey()),
                out.readAll(module.aKey()),
                OUT,
                rank,
                IN,
                config.peft().scale(rank));
        double max = 0;
        for (int j = 0; j < target.length; j++) {
            max = Math.max(max, Math.abs(merged[j] - target[j]));
        }
        return max;
    }

    @Test
    void stackModeReproducesTheWeightedSumOfProductsForMixedRanks() throws IOException {
        FederationConfig config = config(4, StrategySpec.fedAvg(LoraMode.STACK), null);
        AdapterLayout layout = AdapterLayout.of(config);
        AdapterVersion base = initial(config);
        List<Client> clients = List.of(client(layout, 2, 30, 0), client(layout, 4, 10, 1));

        RoundAggregator.Outcome outcome = aggregator.aggregate(FEDERATION, config, round(1), base, accepted(clients));

        assertThat(outcome.rank()).isEqualTo(6);
        BlobTensorInput out = BlobTensorInput.open(blobs, outcome.adapter().key());
        for (AdapterLayout.Module module : layout.modules()) {
            assertThat(maxDifferenceFromTarget(config, module, out, clients)).isLessThan(1e-5);
        }
        assertThat(outcome.metrics().clientMetrics()).containsEntry("loss", 0.25);
    }

    @Test
    void exactModeAtFullRankReproducesTheWeightedSumOfProducts() throws IOException {
        FederationConfig config = config(6, StrategySpec.fedAvg(LoraMode.EXACT), null);
        AdapterLayout layout = AdapterLayout.of(config);
        AdapterVersion base = initial(config);
        List<Client> clients = List.of(client(layout, 3, 7, 0), client(layout, 3, 13, 1));

        RoundAggregator.Outcome outcome = aggregator.aggregate(FEDERATION, config, round(1), base, accepted(clients));

        assertThat(outcome.rank()).isEqualTo(6);
        BlobTensorInput out = BlobTensorInput.open(blobs, outcome.adapter().key());
        for (AdapterLayout.Module module : layout.modules()) {
            assertThat(maxDifferenceFromTarget(config, module, out, clients)).isLessThan(1e-5);
        }
    }

    @Test
    void feditModeIsNotTheWeightedSumOfProducts() throws IOException {
        FederationConfig config = config(3, StrategySpec.fedAvg(LoraMode.FEDIT), null);
        AdapterLayout layout = AdapterLayout.of(config);
        AdapterVersion base = initial(config);
        List<Client> clients = List.of(client(layout, 3, 7, 0), client(layout, 3, 13, 1));

        RoundAggregator.Outcome outcome = aggregator.aggregate(FEDERATION, config, round(1), base, accepted(clients));

        BlobTensorInput out = BlobTensorInput.open(blobs, outcome.adapter().key());
        assertThat(maxDifferenceFromTarget(config, layout.modules().get(0), out, clients))
                .isGreaterThan(0.1);
    }

    @Test
    void hetloraAveragesZeroPaddedFactors() throws IOException {
        FederationConfig config = config(4, StrategySpec.fedAvg(LoraMode.HETLORA), null);
        AdapterLayout layout = AdapterLayout.of(config);
        AdapterVersion base = initial(config);
        List<Client> clients = List.of(client(layout, 2, 1, 0), client(layout, 4, 1, 1));

        RoundAggregator.Outcome outcome = aggregator.aggregate(FEDERATION, config, round(1), base, accepted(clients));

        AdapterLayout.Module m = layout.modules().get(0);
        float[] a = BlobTensorInput.open(blobs, outcome.adapter().key()).readAll(m.aKey());
        // row 0 has both clients, row 3 only the rank-4 client (the other is padded with zeros)
        assertThat(a[0])
                .isEqualTo(0.5f * clients.get(0).values().get(m.aKey())[0]
                        + 0.5f * clients.get(1).values().get(m.aKey())[0]);
        assertThat(a[3 * IN]).isEqualTo(0.5f * clients.get(1).values().get(m.aKey())[3 * IN]);
    }

    @Test
    void fedAdamKeepsItsMomentsBetweenRounds() throws IOException {
        StrategySpec adam = new StrategySpec(StrategyName.FEDADAM, LoraMode.FFA, 0.1, 0, 0.9, 0.99, 1e-3, 0, 0, 0, 0);
        FederationConfig config = config(2, adam, null);
        AdapterLayout layout = AdapterLayout.of(config);
        AdapterVersion base = initial(config);
        List<Client> clients = List.of(client(layout, 2, 1, 0));
        // FFA uploads carry B only; rewrite the client blob that way
        AdapterLayout.Module m = layout.modules().get(0);
        List<TensorSpec> bOnly = layout.denseTensors(LoraMode.FFA);
        blobs.put(
                "updates/c0",
                new ByteArrayInputStream(
                        Api.safetensors(bOnly, spec -> clients.get(0).values().get(spec.name()))));

        RoundAggregator.Outcome first = aggregator.aggregate(FEDERATION, config, round(1), base, accepted(clients));

        assertThat(first.stateKey()).isNotNull();
        BlobTensorInput state = BlobTensorInput.open(blobs, first.stateKey());
        float delta = clients.get(0).values().get(m.bKey())[0]; // B starts at zero
        assertThat(state.readAll(m.bKey() + ".m")[0])
                .isCloseTo(0.1f * delta, org.assertj.core.data.Offset.offset(1e-6f));
        assertThat(state.readAll(m.bKey() + ".v")[0])
                .isCloseTo(0.01f * delta * delta, org.assertj.core.data.Offset.offset(1e-6f));
        BlobTensorInput out = BlobTensorInput.open(blobs, first.adapter().key());
        assertThat(out.readAll(m.aKey()))
                .containsExactly(BlobTensorInput.open(blobs, base.blobKey()).readAll(m.aKey()));

        AdapterVersion v1 = new AdapterVersion(
                FEDERATION,
                1,
                1,
                2,
                first.adapter().key(),
                first.stateKey(),
                first.adapter().sha256(),
                first.adapter().size(),
                null,
                Instant.EPOCH);
        RoundAggregator.Outcome second = aggregator.aggregate(FEDERATION, config, round(2), v1, accepted(clients));
        float m1 = 0.1f * delta;
        float d2 = delta - out.readAll(m.bKey())[0];
        assertThat(BlobTensorInput.open(blobs, second.stateKey()).readAll(m.bKey() + ".m")[0])
                .isCloseTo(0.9f * m1 + 0.1f * d2, org.assertj.core.data.Offset.offset(1e-5f));
    }

    @Test
    void differentialPrivacyIsSeededAndReportsEpsilon() throws IOException {
        FederationConfig config =
                config(2, StrategySpec.fedAvg(LoraMode.FEDIT), new PrivacySpec(PrivacyMode.DP_FEDAVG, 1.0, 1.1, 1e-5));
        AdapterLayout layout = AdapterLayout.of(config);
        AdapterVersion base = initial(config);
        List<Client> clients = List.of(client(layout, 2, 1, 0), client(layout, 2, 1, 1));

        RoundAggregator.Outcome once = aggregator.aggregate(FEDERATION, config, round(1), base, accepted(clients));
        byte[] first = blobs.get(once.adapter().key()).readAllBytes();
        RoundAggregator.Outcome again = aggregator.aggregate(FEDERATION, config, round(1), base, accepted(clients));

        assertThat(blobs.get(again.adapter().key()).readAllBytes()).isEqualTo(first);
        assertThat(once.metrics().epsilon()).isPositive();
        assertThat(RoundAggregator.epsilon(1.1, 10, 1e-5))
                .isGreaterThan(once.metrics().epsilon());
    }
}
