package io.fedtune.agent.cli;

import io.fedtune.agent.home.AgentHome;
import io.fedtune.agent.home.AgentHomeException;
import io.fedtune.agent.home.Credentials;
import io.fedtune.agent.net.AggregatorClient;
import io.fedtune.agent.net.CredentialsRejectedException;
import io.fedtune.agent.train.DeviceChoice;
import io.fedtune.protocol.FedtuneVersion;
import io.fedtune.protocol.api.HeartbeatRequest;
import io.fedtune.protocol.api.HeartbeatResponse;
import io.fedtune.protocol.safetensors.SafetensorsFile;
import io.fedtune.protocol.safetensors.TensorInfo;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code fedtune-agent doctor}: checks everything a run needs and says what to fix: the JDK, the DJL engine and the
 * device, threads, memory against the model's size, the model directory, the data file, the agent home's
 * permissions, and the server (reachable, credentials accepted, clock skew).
 */
@Command(
        name = "doctor",
        mixinStandardHelpOptions = true,
        description = "Check this machine, the model, the data and the server, and say what to fix.")
public final class DoctorCommand implements Callable<Integer> {

    /** Clock skew beyond this makes deadlines and token lifetimes unreliable. */
    static final Duration SKEW_LIMIT = Duration.ofSeconds(30);

    @Spec
    CommandSpec spec;

    @Option(names = "--home", description = "The agent home (default: $FEDTUNE_AGENT_HOME or ~/.fedtune-agent).")
    Path home;

    @Option(names = "--data", description = "The local JSONL training data.")
    Path data;

    @Option(names = "--model", description = "The base model directory.")
    Path model;

    @Option(names = "--device", defaultValue = "auto", description = "auto, cpu or gpu (default: ${DEFAULT-VALUE}).")
    DeviceChoice device;

    @Option(names = "--threads", defaultValue = "0", description = "Training threads to check (0: all cores).")
    int threads;

    @Option(names = "--skip-engine", description = "Do not load the DJL engine (faster; skips the device check).")
    boolean skipEngine;

    enum Level {
        OK,
        WARN,
        FAIL
    }

    /** One finding: what was checked, what was found, and what to do about it. */
    record Finding(Level level, String check, String found, String fix) {}

    @Override
    public Integer call() {
        List<Finding> findings = new ArrayList<>();
        findings.add(jdk());
        if (!skipEngine) {
            findings.add(engine(device));
        }
        findings.add(threads(threads));
        long modelBytes = -1;
        if (model != null) {
            Finding modelFinding = modelDirectory(model);
            findings.add(modelFinding);
            modelBytes = modelF32Bytes(model);
        }
        findings.add(memory(modelBytes));
        if (data != null) {
            findings.add(dataFile(data));
        }
        findings.addAll(server(AgentHome.open(home == null ? AgentHome.defaultLocation() : home)));
        PrintWriter out = spec.commandLine().getOut();
        boolean failed = false;
        for (Finding f : findings) {
            out.printf(Locale.ROOT, "[%-4s] %-10s %s%n", f.level(), f.check(), f.found());
            if (f.fix() != null && f.level() != Level.OK) {
                out.printf(Locale.ROOT, "       %-10s fix: %s%n", "", f.fix());
            }
            failed |= f.level() == Level.FAIL;
        }
        out.println(failed ? "Some checks failed." : "Ready.");
        out.flush();
        return failed ? 1 : 0;
    }

    static Finding jdk() {
        int feature = Runtime.version().feature();
        String found = "Java " + Runtime.version() + " (" + System.getProperty("java.vendor") + ")";
        return feature >= 17
                ? new Finding(Level.OK, "jdk", found, null)
                : new Finding(Level.FAIL, "jdk", found, "install a JDK 17 or newer");
    }

    static Finding engine(DeviceChoice device) {
        if (System.getProperty("ai.djl.offline") == null && System.getenv("DJL_OFFLINE") == null) {
            System.setProperty("ai.djl.offline", "true");
        }
        try {
            ai.djl.engine.Engine engine = ai.djl.engine.Engine.getInstance();
            int gpus = engine.getGpuCount();
            String found = engine.getEngineName() + " " + engine.getVersion() + ", " + gpus + " GPU(s) visible";
            if (device == DeviceChoice.GPU && gpus == 0) {
                return new Finding(
                        Level.FAIL,
                        "device",
                        found + ", but --device gpu was asked for",
                        "point PYTORCH_LIBRARY_PATH at a CUDA libtorch 2.7.1 (cu128) lib directory with"
                                + " PYTORCH_VERSION=2.7.1 PYTORCH_FLAVOR=cu128, or use --device cpu"
                                + " (client-agent/README.md, GPU)");
            }
            return new Finding(
                    Level.OK,
                    "device",
                    found + "; training runs on " + (gpus > 0 && device != DeviceChoice.CPU ? "gpu" : "cpu"),
                    null);
        } catch (RuntimeException | LinkageError e) {
            return new Finding(
                    Level.FAIL,
                    "device",
                    "the DJL PyTorch engine does not load: " + e.getMessage(),
                    "run with -Dai.djl.offline=true and the pytorch-native jars on the class path (DJL-NOTES.md)");
        }
    }

    static Finding threads(int requested) {
        int cores = Runtime.getRuntime().availableProcessors();
        if (requested > cores) {
            return new Finding(
                    Level.WARN,
                    "threads",
                    requested + " training threads on " + cores + " cores",
                    "use --threads " + cores + " or fewer; more threads than cores slow training down");
        }
        return new Finding(
                Level.OK,
                "threads",
                (requested == 0 ? cores : requested) + " training threads, " + cores + " cores",
                null);
    }

    static Finding modelDirectory(Path dir) {
        if (!Files.isDirectory(dir)) {
            return new Finding(
                    Level.FAIL, "model", dir + " is not a directory", "give --model the base model's directory");
        }
        List<String> missing = new ArrayList<>();
        if (!Files.isRegularFile(dir.resolve("config.json"))) {
            missing.add("config.json");
        }
        if (!Files.isRegularFile(dir.resolve("model.safetensors"))
                && !Files.isRegularFile(dir.resolve("model.safetensors.index.json"))) {
            missing.add("model.safetensors (or model.safetensors.index.json)");
        }
        if (!Files.isRegularFile(dir.resolve("tokenizer.json"))) {
            missing.add("tokenizer.json");
        }
        if (!missing.isEmpty()) {
            return new Finding(
                    Level.FAIL,
                    "model",
                    dir + " lacks " + String.join(", ", missing),
                    "copy the Hugging Face checkpoint's files into " + dir);
        }
        return new Finding(Level.OK, "model", dir + " has config.json, weights and tokenizer.json", null);
    }

    /** The model's weights once widened to F32, or -1 when unknown. */
    static long modelF32Bytes(Path dir) {
        long total = 0;
        try (Stream<Path> files = Files.list(dir)) {
            for (Path file : files.filter(f -> f.getFileName().toString().endsWith(".safetensors"))
                    .toList()) {
                try (SafetensorsFile safetensors = SafetensorsFile.open(file)) {
                    for (TensorInfo tensor : safetensors.tensors()) {
                        long elements = 1;
                        for (long d : tensor.shape()) {
                            elements *= d;
                        }
                        total += elements * 4;
                    }
                }
            }
            return total == 0 ? -1 : total;
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    static Finding memory(long modelBytes) {
        long physical = physicalMemory();
        long heap = Runtime.getRuntime().maxMemory();
        String found = String.format(
                Locale.ROOT,
                "%s physical, %s JVM heap%s",
                human(physical),
                human(heap),
                modelBytes > 0 ? ", model " + human(modelBytes) + " in F32" : "");
        if (modelBytes > 0 && physical > 0) {
            // Weights, gradients of the adapter, activations and the optimizer: at least 1.5x the F32 weights.
            long needed = modelBytes + modelBytes / 2;
            if (needed > physical) {
                return new Finding(
                        Level.FAIL,
                        "memory",
                        found + "; training needs about " + human(needed),
                        "use a machine with at least " + human(needed) + " of memory, or a smaller model");
            }
        }
        return new Finding(Level.OK, "memory", found, null);
    }

    static long physicalMemory() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            return os.getTotalMemorySize();
        }
        return -1;
    }

    static Finding dataFile(Path file) {
        if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
            return new Finding(
                    Level.FAIL, "data", file + " does not exist or is not readable", "check the path and permissions");
        }
        int lines = 0;
        int records = 0;
        try (BufferedReader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String line;
            while ((line = reader.readLine()) != null) {
                lines++;
                String trimmed = line.strip();
                if (trimmed.isEmpty()) {
                    continue;
                }
                try {
                    if (!AgentHome.JSON.readTree(trimmed).isObject()) {
                        throw new IllegalArgumentException("not a JSON object");
                    }
                } catch (RuntimeException e) {
                    return new Finding(
                            Level.FAIL,
                            "data",
                            file + " line " + lines + " is not a JSON object",
                            "fix or remove line " + lines + " (one JSON object per line: {\"text\":…},"
                                    + " {\"instruction\",\"input\",\"output\"} or {\"messages\":[…]})");
                }
                records++;
            }
        } catch (IOException e) {
            return new Finding(Level.FAIL, "data", "cannot read " + file + ": " + e.getMessage(), "check the file");
        }
        if (records == 0) {
            return new Finding(Level.FAIL, "data", file + " holds no examples", "add JSONL examples to " + file);
        }
        return new Finding(Level.OK, "data", file + ": " + records + " examples", null);
    }

    static List<Finding> server(AgentHome home) {
        List<Finding> findings = new ArrayList<>();
        Credentials credentials;
        try {
            credentials = home.credentials();
        } catch (AgentHomeException e) {
            findings.add(new Finding(Level.FAIL, "enrolled", e.getMessage(), "run `fedtune-agent enroll`"));
            return findings;
        }
        findings.add(new Finding(
                Level.OK,
                "enrolled",
                credentials.name() + " in federation " + credentials.federationId() + ", home "
                        + AgentHome.permissions(home.root()) + ", credentials "
                        + AgentHome.permissions(home.root().resolve("credentials.json")),
                null));
        AggregatorClient client =
                new AggregatorClient(credentials, Duration.ofSeconds(10), Clock.systemUTC(), FedtuneVersion.get());
        try {
            long before = System.currentTimeMillis();
            HeartbeatResponse response = client.heartbeat(new HeartbeatRequest(FedtuneVersion.get(), "doctor"));
            long after = System.currentTimeMillis();
            findings.add(new Finding(
                    Level.OK,
                    "server",
                    credentials.server() + " answers; federation is "
                            + response.federationStatus().name().toLowerCase(Locale.ROOT),
                    null));
            long skew = response.serverTime().toEpochMilli() - (before + after) / 2;
            String found = "clock differs from the server's by " + skew + " ms";
            findings.add(
                    Math.abs(skew) > SKEW_LIMIT.toMillis()
                            ? new Finding(
                                    Level.WARN,
                                    "clock",
                                    found,
                                    "synchronise this machine's clock (NTP): deadlines and tokens depend on it")
                            : new Finding(Level.OK, "clock", found, null));
        } catch (CredentialsRejectedException e) {
            findings.add(new Finding(
                    Level.FAIL, "server", e.getMessage(), "ask the admin for a new enrollment token and enroll again"));
        } catch (IOException | RuntimeException e) {
            findings.add(new Finding(
                    Level.FAIL,
                    "server",
                    credentials.server() + " does not answer: " + e.getMessage(),
                    "check the URL, the network, proxies and firewalls"));
        }
        return findings;
    }

    static String human(long bytes) {
        if (bytes < 0) {
            return "unknown";
        }
        double v = bytes;
        String[] units = {"B", "KiB", "MiB", "GiB", "TiB"};
        int u = 0;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return String.format(Locale.ROOT, "%.1f %s", v, units[u]);
    }
}
