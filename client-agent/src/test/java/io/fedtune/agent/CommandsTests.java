package io.fedtune.agent;

import static org.assertj.core.api.Assertions.assertThat;

import io.fedtune.agent.home.AgentHome;
import io.fedtune.agent.metrics.AgentMetrics;
import io.fedtune.agent.metrics.MetricsServer;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class CommandsTests {

    @TempDir
    Path dir;

    FakeAggregator server;
    final StringWriter out = new StringWriter();
    final StringWriter err = new StringWriter();

    @BeforeEach
    void server() throws Exception {
        server = new FakeAggregator();
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private int run(String... args) {
        CommandLine cli = AgentCli.commandLine();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        return cli.execute(args);
    }

    @Test
    void enrollStoresTheCredentialsAndRefusesToOverwriteThemWithoutForce() {
        Path home = dir.resolve("home");
        assertThat(run(
                        "enroll",
                        "--server",
                        server.uri().toString(),
                        "--token",
                        "t",
                        "--name",
                        "lab-1",
                        "--home",
                        home.toString()))
                .isZero();
        assertThat(out.toString()).contains("Enrolled as lab-1").contains(server.clientId.toString());
        assertThat(AgentHome.open(home).credentials().clientSecret()).isEqualTo("s3cret");
        assertThat(out.toString()).doesNotContain("s3cret");

        assertThat(run("enroll", "--server", server.uri().toString(), "--token", "t", "--home", home.toString()))
                .isEqualTo(1);
        assertThat(err.toString()).contains("--force");
    }

    @Test
    void enrollWithABadTokenSaysSoAndStoresNothing() {
        Path home = dir.resolve("home");
        assertThat(run("enroll", "--server", server.uri().toString(), "--token", "bad", "--home", home.toString()))
                .isEqualTo(1);
        assertThat(err.toString()).contains("refused the enrollment").contains("invalid-enrollment-token");
        assertThat(AgentHome.open(home).isEnrolled()).isFalse();
    }

    @Test
    void statusShowsTheFederationAndTheLastRounds() throws Exception {
        Path home = dir.resolve("home");
        Agents.enroll(server.uri(), "t", "lab-2", home);
        Path data = Files.writeString(dir.resolve("d.jsonl"), "{\"text\":\"x\"}\n");
        Agents.runner(home)
                .setDataFile(data)
                .optTrainer(new ShiftingTrainer(0.1f))
                .optPollWait(Duration.ofSeconds(1))
                .optStopWhen(event -> true)
                .build()
                .run();

        assertThat(run("status", "--home", home.toString())).isZero();
        assertThat(out.toString())
                .contains("federation:  " + server.federationId)
                .contains("lab-2")
                .containsPattern("\\s+1\\s+uploaded\\s+0\\.6667\\s+0\\.9000\\s+12");
    }

    @Test
    void doctorNamesTheBadDataLineAndTheMissingModelFilesAndChecksTheServer() throws Exception {
        Path home = dir.resolve("home");
        Agents.enroll(server.uri(), "t", "lab-3", home);
        Path data = Files.writeString(dir.resolve("d.jsonl"), "{\"text\":\"ok\"}\n\nnot json\n");
        Path model = Files.createDirectories(dir.resolve("model"));
        Files.writeString(model.resolve("config.json"), "{}");

        int code = run(
                "doctor",
                "--skip-engine",
                "--home",
                home.toString(),
                "--data",
                data.toString(),
                "--model",
                model.toString(),
                "--threads",
                "4096");

        assertThat(code).isEqualTo(1);
        assertThat(out.toString())
                .contains("[OK  ] jdk")
                .contains("line 3 is not a JSON object")
                .contains("lacks model.safetensors")
                .contains("tokenizer.json")
                .contains("[WARN] threads")
                .contains("answers; federation is running")
                .containsPattern("\\[OK  ] clock\\s+clock differs from the server's by -?\\d+ ms")
                .contains("fix:");
    }

    @Test
    void doctorNamesTheEngineAndSaysHowToGetAGpuWhenNoneIsVisible() throws Exception {
        Path home = dir.resolve("home");
        Agents.enroll(server.uri(), "t", "lab-7", home);
        int code = run("doctor", "--home", home.toString(), "--device", "gpu");

        assertThat(out.toString()).containsPattern("device\\s+PyTorch \\S+, \\d+ GPU\\(s\\) visible");
        if (ai.djl.engine.Engine.getInstance().getGpuCount() == 0) {
            assertThat(code).isEqualTo(1);
            assertThat(out.toString()).contains("[FAIL] device").contains("PYTORCH_LIBRARY_PATH");
        } else {
            assertThat(out.toString()).contains("training runs on gpu");
        }
    }

    @Test
    void runWithoutDataFailsWithTheConfigurationKeyToSet() throws Exception {
        Path home = dir.resolve("home");
        Agents.enroll(server.uri(), "t", "lab-4", home);
        assertThat(run("run", "--home", home.toString())).isEqualTo(1);
        assertThat(err.toString()).contains("--data").contains("FEDTUNE_AGENT_DATA");
    }

    @Test
    void runTakesItsSettingsFromAgentYmlInTheHomeAndEndsWithTheFederation() throws Exception {
        Path home = dir.resolve("home");
        Agents.enroll(server.uri(), "t", "lab-6", home);
        Path data = Files.writeString(dir.resolve("d.jsonl"), "{\"text\":\"x\"}\n");
        Files.writeString(
                home.resolve("agent.yml"),
                "fedtune:\n  agent:\n    data: " + data + "\n    model: " + dir + "\n    poll-wait: 1s\n");
        server.taskOffered = false;
        server.status = io.fedtune.protocol.api.FederationStatus.COMPLETED;

        assertThat(run("run", "--home", home.toString())).as(err.toString()).isZero();
        assertThat(err.toString()).contains("the federation is completed");
    }

    @Test
    void runEnrollsAnUnenrolledHomeFromATokenFileOnceAndThenRunsAsUsual() throws Exception {
        Path home = dir.resolve("home");
        Path tokenFile = Files.writeString(dir.resolve("token"), "t\n");
        Path data = Files.writeString(dir.resolve("d.jsonl"), "{\"text\":\"x\"}\n");
        server.taskOffered = false;
        server.status = io.fedtune.protocol.api.FederationStatus.COMPLETED;
        String[] args = {
            "run",
            "--home",
            home.toString(),
            "--server",
            server.uri().toString(),
            "--enrollment-token-file",
            tokenFile.toString(),
            "--name",
            "clinic-north",
            "--data",
            data.toString(),
            "--model",
            dir.toString()
        };

        assertThat(run(args)).as(err.toString()).isZero();
        assertThat(err.toString()).contains("Enrolled as clinic-north");
        assertThat(io.fedtune.agent.home.AgentHome.open(home).credentials().name())
                .isEqualTo("clinic-north");

        // A restarted container gives the same arguments: the enrolled home keeps its credentials and ignores the
        // (by now used-up) token.
        Files.writeString(tokenFile, "bad");
        assertThat(run(args)).as(err.toString()).isZero();
    }

    @Test
    void runWithAnEmptyOrUnacceptedTokenFileSaysWhichFileAndEnrollsNothing() throws Exception {
        Path home = dir.resolve("home");
        Path tokenFile = Files.writeString(dir.resolve("token"), "  \n");
        String[] args = {
            "run",
            "--home",
            home.toString(),
            "--server",
            server.uri().toString(),
            "--enrollment-token-file",
            tokenFile.toString(),
            "--data",
            dir.resolve("d.jsonl").toString()
        };

        assertThat(run(args)).isEqualTo(1);
        assertThat(err.toString()).contains(tokenFile.toString()).contains("is empty");

        Files.writeString(tokenFile, "bad");
        assertThat(run(args)).isEqualTo(1);
        assertThat(err.toString()).contains("refused the enrollment").contains(tokenFile.toString());
        assertThat(io.fedtune.agent.home.AgentHome.open(home).isEnrolled()).isFalse();
    }

    @Test
    void theMetricsEndpointServesPrometheusText() throws Exception {
        AgentMetrics metrics = new AgentMetrics();
        metrics.step(1, 0.5, 100);
        try (MetricsServer metricsServer = MetricsServer.start("127.0.0.1", 0, metrics)) {
            HttpResponse<String> response = HttpClient.newHttpClient()
                    .send(
                            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + metricsServer.port() + "/metrics"))
                                    .build(),
                            HttpResponse.BodyHandlers.ofString());
            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.body())
                    .contains("fedtune_agent_training_steps_total 1")
                    .contains("fedtune_agent_train_loss 0.5")
                    .contains("fedtune_agent_rounds_total{outcome=\"uploaded\"} 0");
        }
    }

    @Test
    void sigtermStopsTheDaemonWhichExitsZero() throws Exception {
        Path home = dir.resolve("home");
        Agents.enroll(server.uri(), "t", "lab-5", home);
        server.taskOffered = false;
        Path data = Files.writeString(dir.resolve("d.jsonl"), "{\"text\":\"x\"}\n");
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                System.getProperty("java.class.path"),
                AgentCli.class.getName(),
                "run",
                "--home",
                home.toString(),
                "--data",
                data.toString(),
                "--model",
                dir.toString()));
        Process process = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("agent.log").toFile())
                .start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (server.polls.get() == 0 && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        assertThat(server.polls.get())
                .as(Files.readString(dir.resolve("agent.log")))
                .isPositive();
        process.destroy(); // SIGTERM
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        String log = Files.readString(dir.resolve("agent.log"));
        assertThat(process.exitValue()).as(log).isZero();
        assertThat(log).contains("SIGTERM received").contains("stopped on request");
    }
}
