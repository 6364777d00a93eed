package io.fedtune.launcher.demo;

import io.fedtune.launcher.Platform;
import io.fedtune.protocol.api.AdapterView;
import io.fedtune.protocol.api.BaseModelSpec;
import io.fedtune.protocol.api.ClientSelection;
import io.fedtune.protocol.api.FailurePolicy;
import io.fedtune.protocol.api.FederationConfig;
import io.fedtune.protocol.api.FederationStatus;
import io.fedtune.protocol.api.FederationView;
import io.fedtune.protocol.api.LoraMode;
import io.fedtune.protocol.api.ModelDims;
import io.fedtune.protocol.api.PeftMethod;
import io.fedtune.protocol.api.PeftSpec;
import io.fedtune.protocol.api.RoundDetail;
import io.fedtune.protocol.api.RoundPolicy;
import io.fedtune.protocol.api.RoundStatus;
import io.fedtune.protocol.api.RoundView;
import io.fedtune.protocol.api.StrategySpec;
import io.fedtune.protocol.api.TrainingSpec;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import tools.jackson.databind.SerializationFeature;
import tools.jackson.databind.json.JsonMapper;

/**
 * {@code fedtune demo} from start to end: a model and non-IID client datasets, the platform on an embedded
 * PostgreSQL, a federation driven through the gateway with the admin credential, in-process agents over real HTTP,
 * a per-round table, and the comparison with local-only training that justifies federation.
 */
final class Demo {

    /** Keys under which agents report their training loss, most specific first. */
    private static final List<String> TRAIN_LOSS_KEYS = List.of("train_loss", "trainLoss", "final_loss", "loss");

    private static final Duration POLL = Duration.ofMillis(500);

    private final DemoOptions options;
    private final DemoAgents agents;
    private final DemoScoring.Factory scoring;
    private final PrintWriter out;
    private final long started = System.nanoTime();
    private DemoPlan plan;
    private final JsonMapper json =
            JsonMapper.builder().enable(SerializationFeature.INDENT_OUTPUT).build();

    Demo(DemoOptions options, DemoAgents agents, DemoScoring.Factory scoring, PrintWriter out) {
        this.options = options;
        this.agents = agents;
        this.scoring = scoring;
        this.out = out;
    }

    DemoSummary run() {
        Path home = options.home().toAbsolutePath();
        plan = options.plan();

        Path model = options.model() != null ? options.model().toAbsolutePath() : generateModel(home.resolve("model"));
        ModelDims dims = CheckpointDims.read(model);
        if (plan.targetModules().isEmpty()) {
            plan = plan.withTargetModules(CheckpointDims.defaultTargets(dims.architecture()));
        }
        List<DemoClient> clients = options.data() != null
                ? DemoData.fromDirectory(options.data(), home.resolve("data"), plan.seed())
                : DemoData.synthetic(home.resolve("data"), options.clients(), options.examplesPerClient(), plan.seed());
        printClients(model, clients);

        try (DemoScoring scores = scoring.open(model, clients, plan)) {
            say("Starting the platform (embedded PostgreSQL, model registry, aggregator, gateway)…");
            String adminSecret = "demo_" + HexFormat.of().formatHex(new SecureRandom().generateSeed(16));
            try (Platform platform = Platform.start(
                    Platform.Options.ephemeral(home.resolve("platform")),
                    "--fedtune.security.bootstrap-admin.secret=" + adminSecret,
                    "--logging.level.root=" + (options.verbose() ? "INFO" : "ERROR"),
                    "--fedtune.aggregator.tick-interval=PT0.2S",
                    "--fedtune.aggregator.long-poll-check-interval=PT0.1S")) {
                say("  gateway " + platform.gatewayUrl() + " (every call below goes through it)");
                GatewayAdmin admin = new GatewayAdmin(platform.gatewayUrl(), adminSecret, json);
                return federate(admin, platform, model, dims, clients, scores, home);
            }
        }
    }

    private DemoSummary federate(
            GatewayAdmin admin,
            Platform platform,
            Path model,
            ModelDims dims,
            List<DemoClient> clients,
            DemoScoring scores,
            Path home) {
        FederationView federation = admin.createFederation(federationConfig(model, dims, clients.size()));
        UUID id = federation.id();
        say("Created federation " + federation.name() + " (" + id + "): " + plan.rounds() + " rounds, "
                + plan.strategy().name().toLowerCase(java.util.Locale.ROOT) + ", LoRA rank " + plan.rank() + ".");

        List<DemoAgents.Seat> seats = new ArrayList<>();
        for (DemoClient client : clients) {
            String token = admin.createEnrollmentToken(id, client.name()).token();
            seats.add(new DemoAgents.Seat(client, token, home.resolve("agents").resolve(client.name())));
        }
        AgentProgress progress = new AgentProgress();
        try (DemoAgents.Fleet fleet = agents.launch(platform.gatewayUrl(), model, seats, progress)) {
            say("Enrolled " + seats.size() + " agents; each talks to the gateway over HTTP like a remote one.");
            admin.start(id);
            say("Started. Rounds as they close:");
            List<DemoSummary.Round> rounds = new ArrayList<>();
            Path adapters = home.resolve("adapters");
            Path initial = admin.downloadAdapter(id, 0, adapters.resolve("v0.safetensors"));
            double initialLoss = scores.unionHoldoutLoss(initial);
            RoundTable table = new RoundTable(out);
            table.header();
            table.initial(initialLoss);

            FederationView view = awaitRounds(admin, id, rounds, adapters, scores, table, progress);
            int finalVersion = view.globalAdapterVersion();
            Path finalAdapter = home.resolve("final-adapter");
            exportWithRetry(admin, id, finalVersion, finalAdapter);
            double federatedLoss = rounds.isEmpty()
                    ? initialLoss
                    : rounds.get(rounds.size() - 1).globalHoldoutLoss();
            fleet.close();

            say("");
            say("Training each client's local-only adapter (" + plan.totalSteps()
                    + " steps each, the same as its share of the federation, on its own data only)…");
            List<DemoSummary.LocalOnly> localOnly = new ArrayList<>();
            for (DemoClient client : clients) {
                long trainingStarted = System.nanoTime();
                Double loss;
                String failure = null;
                try {
                    Path adapter = scores.trainLocalOnly(
                            client, initial, plan, home.resolve("local-only").resolve(client.name()));
                    loss = scores.unionHoldoutLoss(adapter);
                } catch (IllegalStateException e) {
                    // FineTuner's divergence (a NaN loss): the baseline has no usable adapter
                    loss = null;
                    failure = e.getMessage();
                }
                localOnly.add(new DemoSummary.LocalOnly(client.name(), plan.totalSteps(), loss, failure));
                say(String.format(
                        java.util.Locale.ROOT,
                        "  %-22s %s  (%.1f s)",
                        client.name(),
                        loss == null ? "diverged: " + failure : "union holdout loss " + RoundTable.loss(loss),
                        (System.nanoTime() - trainingStarted) / 1e9));
            }
            boolean beats =
                    localOnly.stream().allMatch(l -> l.holdoutLoss() == null || federatedLoss < l.holdoutLoss());
            DemoSummary summary = new DemoSummary(
                    id.toString(),
                    plan.strategy().name().toLowerCase(java.util.Locale.ROOT),
                    clients.stream()
                            .map(c -> new DemoSummary.Client(
                                    c.name(), c.description(), c.trainExamples(), c.holdoutExamples()))
                            .toList(),
                    clients.stream().mapToInt(DemoClient::holdoutExamples).sum(),
                    initialLoss,
                    List.copyOf(rounds),
                    List.copyOf(localOnly),
                    new DemoSummary.Federated(finalVersion, federatedLoss, finalAdapter.toString()),
                    beats,
                    (System.nanoTime() - started) / 1e9);
            table.comparison(summary);
            if (options.summary() != null) {
                DemoFiles.writeAtomically(options.summary(), json.writeValueAsString(summary) + "\n");
                say("Summary written to " + options.summary().toAbsolutePath());
            }
            say("Final adapter (Hugging Face PEFT layout): " + finalAdapter);
            say(String.format(java.util.Locale.ROOT, "Done in %.0f s.", summary.elapsedSeconds()));
            return summary;
        }
    }

    /** Polls the federation until it ends, adding a row for each round as it closes. */
    private FederationView awaitRounds(
            GatewayAdmin admin,
            UUID id,
            List<DemoSummary.Round> rounds,
            Path adapters,
            DemoScoring scores,
            RoundTable table,
            AgentProgress progress) {
        Map<Integer, Long> adapterSizes = new HashMap<>();
        long lastProgress = System.nanoTime();
        Duration stall = Duration.ofMinutes(5);
        while (true) {
            FederationView view = admin.federation(id);
            for (RoundView round : admin.rounds(id)) {
                boolean seen = rounds.stream().anyMatch(r -> r.round() == round.number());
                if (seen || round.status() != RoundStatus.COMPLETED || round.adapterVersion() == null) {
                    continue;
                }
                RoundDetail detail = admin.round(id, round.number());
                for (AdapterView adapter : admin.adapters(id)) {
                    adapterSizes.put(adapter.version(), adapter.sizeBytes());
                }
                int version = round.adapterVersion();
                Path file = admin.downloadAdapter(id, version, adapters.resolve("v" + version + ".safetensors"));
                double loss = scores.unionHoldoutLoss(file);
                long bytesUp =
                        detail.aggregate() == null ? 0 : detail.aggregate().bytesIn();
                long downloaded = detail.clients().stream()
                        .filter(c ->
                                c.status() != null && c.status() != io.fedtune.protocol.api.AssignmentStatus.ASSIGNED)
                        .count();
                long bytesDown = downloaded * adapterSizes.getOrDefault(version - 1, 0L);
                Double trainLoss = detail.aggregate() == null
                        ? null
                        : TRAIN_LOSS_KEYS.stream()
                                .map(detail.aggregate().clientMetrics()::get)
                                .filter(java.util.Objects::nonNull)
                                .findFirst()
                                .orElse(progress.meanTrainLoss(round.number()));
                long millis = round.closedAt() == null || round.openedAt() == null
                        ? 0
                        : Duration.between(round.openedAt(), round.closedAt()).toMillis();
                DemoSummary.Round row = new DemoSummary.Round(
                        round.number(), round.submitted(), trainLoss, loss, bytesUp, bytesDown, millis, version);
                rounds.add(row);
                rounds.sort(java.util.Comparator.comparingInt(DemoSummary.Round::round));
                table.row(row);
                lastProgress = System.nanoTime();
            }
            if (view.status().isTerminal()) {
                if (view.status() != FederationStatus.COMPLETED) {
                    throw new DemoException("The federation ended " + view.status() + ": " + view.failureReason()
                            + progress.failures());
                }
                if (rounds.size() == plan.rounds()) {
                    return view;
                }
            }
            if (System.nanoTime() - lastProgress > stall.toNanos()) {
                admin.cancel(id);
                throw new DemoException("No round closed in " + stall.toMinutes()
                        + " minutes; cancelled the federation." + progress.failures());
            }
            sleep(POLL);
        }
    }

    /** The registry receives each global adapter a moment after its round closes: retry a 404 for a while. */
    private static Path exportWithRetry(GatewayAdmin admin, UUID id, int version, Path directory) {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (true) {
            try {
                return admin.exportPeft(id, version, directory);
            } catch (DemoException e) {
                if (!e.getMessage().contains(" 404") || System.nanoTime() > deadline) {
                    throw e;
                }
                sleep(Duration.ofMillis(200));
            }
        }
    }

    private FederationConfig federationConfig(Path model, ModelDims dims, int clients) {
        List<String> targets = plan.targetModules();
        StrategySpec strategy = new StrategySpec(plan.strategy(), LoraMode.FEDIT, 0, 0, 0, 0, 0, 0, 0, 0, 0);
        return new FederationConfig(
                "demo-" + UUID.randomUUID().toString().substring(0, 8),
                "fedtune demo: " + clients + " clients with non-IID data",
                new BaseModelSpec(baseModelId(model), dims),
                new PeftSpec(PeftMethod.LORA, plan.rank(), plan.alpha(), 0, false, targets, null, 0),
                new TrainingSpec(
                        1, plan.stepsPerRound(), plan.batchSize(), plan.learningRate(), 0, plan.maxLength(), 0, 1.0),
                strategy,
                new ClientSelection(clients, 1.0, clients),
                new RoundPolicy(plan.rounds(), Duration.ofMinutes(10), FailurePolicy.FAIL_FEDERATION, 1),
                null,
                null,
                null,
                plan.seed());
    }

    /** The checkpoint's path, so that the exported adapter_config.json names it (PEFT loads the base from there). */
    private static String baseModelId(Path model) {
        String path = model.toAbsolutePath().toString();
        return path.length() <= 200 ? path : model.getFileName().toString();
    }

    private Path generateModel(Path directory) {
        say("Generating a tiny LLaMA-style model (random weights, byte-level BPE tokenizer) in " + directory + "…");
        return scoring.generateModel(directory);
    }

    private void printClients(Path model, List<DemoClient> clients) {
        say("Model: " + model);
        say("Clients (each keeps its data; 20% held out):");
        for (DemoClient client : clients) {
            say(String.format(
                    java.util.Locale.ROOT,
                    "  %-22s %4d train / %3d holdout  %s",
                    client.name(),
                    client.trainExamples(),
                    client.holdoutExamples(),
                    client.description()));
        }
    }

    private void say(String line) {
        out.println(line);
        out.flush();
    }

    private static void sleep(Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DemoException("Interrupted", e);
        }
    }

    /** Agent events: a progress line per trained round, the mean training loss, and failures for the error message. */
    private final class AgentProgress implements DemoAgents.Events {

        private final Map<Integer, List<Double>> losses = new HashMap<>();
        private final List<String> failures = new ArrayList<>();

        @Override
        public synchronized void trained(String client, int round, int steps, double trainLoss) {
            losses.computeIfAbsent(round, r -> new ArrayList<>()).add(trainLoss);
            say(String.format(
                    java.util.Locale.ROOT,
                    "    · %5.1f s  round %d: %s trained %d steps (loss %.3f) and uploaded its update",
                    (System.nanoTime() - started) / 1e9,
                    round,
                    client,
                    steps,
                    trainLoss));
        }

        @Override
        public synchronized void failed(String client, String message) {
            failures.add(client + ": " + message);
            say("    ! " + client + ": " + message);
        }

        synchronized Double meanTrainLoss(int round) {
            List<Double> values = losses.get(round);
            return values == null || values.isEmpty()
                    ? null
                    : values.stream().mapToDouble(Double::doubleValue).average().orElseThrow();
        }

        synchronized String failures() {
            return failures.isEmpty() ? "" : " Agents reported: " + String.join("; ", failures);
        }
    }
}
