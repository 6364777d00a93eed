package io.fedtune.agent.cli;

import io.fedtune.agent.AgentListener;
import io.fedtune.agent.AgentRunner;
import io.fedtune.agent.Agents;
import io.fedtune.agent.home.AgentHome;
import io.fedtune.agent.home.AgentHomeException;
import io.fedtune.agent.home.Credentials;
import io.fedtune.agent.metrics.AgentMetrics;
import io.fedtune.agent.metrics.MetricsServer;
import io.fedtune.agent.net.ServerException;
import io.fedtune.agent.train.DeviceChoice;
import io.fedtune.agent.train.TrainerSettings;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.springframework.context.ConfigurableApplicationContext;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code fedtune-agent run}: the daemon. Takes tasks until the federation ends; SIGTERM (or Ctrl-C) finishes the
 * current training step, checkpoints and exits 0, and the next start resumes the task while its deadline allows.
 */
@Command(
        name = "run",
        mixinStandardHelpOptions = true,
        description = {
            "Take training tasks until the federation ends. SIGTERM finishes the current step, checkpoints and exits 0.",
            "Every option is also a configuration key fedtune.agent.<name> (file HOME/agent.yml or --config,"
                    + " environment FEDTUNE_AGENT_<NAME>)."
        },
        exitCodeListHeading = "Exit codes:%n",
        exitCodeList = {
            "0:the federation ended, or the agent was stopped",
            "1:bad configuration",
            "3:the server refuses this agent's credentials"
        })
public final class RunCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--home", description = "The agent home (default: $FEDTUNE_AGENT_HOME or ~/.fedtune-agent).")
    Path home;

    @Option(names = "--data", description = "The local JSONL training data.")
    Path data;

    @Option(names = "--model", description = "The base model directory.")
    Path model;

    @Option(names = "--device", description = "auto, cpu or gpu.")
    DeviceChoice device;

    @Option(names = "--threads", description = "Training threads (0: the engine's default).")
    Integer threads;

    @Option(names = "--metrics-port", description = "Serve Prometheus metrics on this port (-1: off).")
    Integer metricsPort;

    @Option(names = "--config", description = "A configuration file (YAML or properties) with fedtune.agent.* keys.")
    Path config;

    @Option(
            names = "--server",
            description = "With --enrollment-token-file: the server to enroll with when this home is not enrolled yet.")
    URI server;

    @Option(
            names = "--enrollment-token-file",
            description = "A file holding a one-time enrollment token, used on the first start only (containers,"
                    + " Kubernetes secrets); an enrolled home ignores it.")
    Path enrollmentTokenFile;

    @Option(names = "--name", description = "This client's name when run enrolls it (default: the host name).")
    String name;

    @Override
    public Integer call() {
        PrintWriter err = spec.commandLine().getErr();
        Path dir = home == null ? AgentHome.defaultLocation() : home;
        if (!enrollOnFirstStart(dir, err)) {
            return 1;
        }
        List<String> args = new ArrayList<>();
        args.add("--spring.config.additional-location=optional:file:" + dir.toAbsolutePath() + "/agent.yml"
                + (config == null ? "" : ",file:" + config.toAbsolutePath()));
        args.add("--fedtune.agent.home=" + dir.toAbsolutePath());
        add(args, "data", data);
        add(args, "model", model);
        add(args, "device", device);
        add(args, "threads", threads);
        add(args, "metrics-port", metricsPort);
        boolean terminal = System.console() != null;
        try (ConfigurableApplicationContext context = AgentApplication.start(args, !terminal)) {
            AgentProperties properties = context.getBean(AgentProperties.class);
            return run(properties, terminal, err);
        } catch (AgentHomeException | IllegalStateException | IllegalArgumentException e) {
            err.println(e.getMessage());
            return 1;
        }
    }

    /** Enrolls an unenrolled home from the token file; false (having said why) when that cannot be done. */
    private boolean enrollOnFirstStart(Path dir, PrintWriter err) {
        if (enrollmentTokenFile == null || AgentHome.open(dir).isEnrolled()) {
            return true;
        }
        if (server == null) {
            err.println("--enrollment-token-file needs --server URL: the server to enroll with");
            return false;
        }
        String token;
        try {
            token = Files.readString(enrollmentTokenFile, StandardCharsets.UTF_8)
                    .strip();
        } catch (IOException e) {
            err.println("Cannot read the enrollment token file " + enrollmentTokenFile + ": " + e.getMessage());
            return false;
        }
        if (token.isEmpty()) {
            err.println("The enrollment token file " + enrollmentTokenFile + " is empty: put the token the admin"
                    + " created in it");
            return false;
        }
        try {
            Credentials credentials = Agents.enroll(server, token, name, dir);
            err.println("Enrolled as " + credentials.name() + " (client " + credentials.clientId() + ") in federation "
                    + credentials.federationId() + "; credentials in " + dir.resolve("credentials.json"));
            return true;
        } catch (ServerException e) {
            err.println("The server refused the enrollment: " + e.getMessage() + ". The token in " + enrollmentTokenFile
                    + " may be wrong, used up or expired.");
            return false;
        } catch (IOException e) {
            err.println("Cannot reach " + server + " to enroll: " + e + ". Check the URL and the network.");
            return false;
        }
    }

    private static void add(List<String> args, String key, Object value) {
        if (value != null) {
            args.add("--fedtune.agent." + key + "=" + (value instanceof Path p ? p.toAbsolutePath() : value));
        }
    }

    static Integer run(AgentProperties p, boolean terminal, PrintWriter err) {
        if (p.data() == null) {
            throw new IllegalStateException(
                    "No training data: give --data FILE (or fedtune.agent.data / FEDTUNE_AGENT_DATA)");
        }
        AgentMetrics metrics = new AgentMetrics();
        boolean bar = "always".equals(p.progress()) || ("auto".equals(p.progress()) && terminal);
        AgentListener listener = bar ? new ProgressBar(System.out) : new AgentListener() {};
        AgentRunner runner = AgentRunner.builder(p.home())
                .setDataFile(p.data())
                .setModelDir(p.model())
                .optTrainerSettings(new TrainerSettings(
                        p.device(), p.threads(), p.checkpointEvery(), p.holdoutFraction(), p.memoryBudget()))
                .optPollWait(p.pollWait())
                .optHeartbeatInterval(p.heartbeatInterval())
                .optBackoff(p.backoffInitial(), p.backoffMax())
                .optListener(listener)
                .optMetrics(metrics)
                .build();
        Signals.onTerminate(runner::stop);
        MetricsServer server = null;
        try {
            if (p.metricsPort() >= 0) {
                server = MetricsServer.start(p.metricsHost(), p.metricsPort(), metrics);
                err.println("Prometheus metrics on http://" + p.metricsHost() + ":" + server.port() + "/metrics");
            }
            AgentRunner.Result result = runner.run();
            err.println("fedtune-agent: " + result.message());
            return result.reason() == AgentRunner.StopReason.CREDENTIALS_REJECTED ? 3 : 0;
        } catch (IOException e) {
            err.println("Cannot serve metrics on port " + p.metricsPort() + ": " + e.getMessage());
            return 1;
        } finally {
            if (server != null) {
                server.close();
            }
        }
    }
}
