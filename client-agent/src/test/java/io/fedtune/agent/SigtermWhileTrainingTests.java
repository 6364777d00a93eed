package io.fedtune.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fedtune.protocol.api.PeftMethod;
import io.fedtune.protocol.api.PeftSpec;
import io.fedtune.protocol.api.TrainingSpec;
import io.fedtune.protocol.safetensors.FloatTensor;
import io.fedtune.trainer.model.LoadOptions;
import io.fedtune.trainer.model.PretrainedModel;
import io.fedtune.trainer.peft.PeftConfig;
import io.fedtune.trainer.peft.PeftKind;
import io.fedtune.trainer.peft.PeftState;
import io.fedtune.trainer.tiny.SyntheticCorpora;
import io.fedtune.trainer.tiny.TinyModelSpec;
import io.fedtune.trainer.tiny.TinyModels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/** {@code fedtune-agent run} in a process of its own, stopped with SIGTERM while it trains the tiny Llama. */
class SigtermWhileTrainingTests {

    @TempDir
    Path dir;

    @Test
    void sigtermWhileTrainingFinishesTheStepCheckpointsAndExitsZero() throws Exception {
        System.setProperty("ai.djl.offline", "true");
        Path model = TinyModels.write(dir.resolve("model"), TinyModelSpec.llama());
        Path data = SyntheticCorpora.write(dir.resolve("data"), 1, 40, 5).get(0).file();
        PeftSpec peft = new PeftSpec(PeftMethod.LORA, 4, 8, 0, false, List.of("q_proj", "v_proj"), null, 0);
        Map<String, FloatTensor> global;
        try (PretrainedModel loaded = PretrainedModel.load(model, LoadOptions.defaults());
                PeftState state = PeftState.create(
                        loaded,
                        new PeftConfig(PeftKind.LORA, 4, 8, 0, false, List.of("q_proj", "v_proj"), 0, null, 99))) {
            global = state.toAdapter().tensors();
        }
        // far more steps than the test lets it run
        TrainingSpec training = new TrainingSpec(1000, 100_000, 4, 1e-2, 0, 64, 0, 1.0);

        try (FakeAggregator server = new FakeAggregator(global, peft, training)) {
            Path home = dir.resolve("home");
            Agents.enroll(server.uri(), "t", "lab-9", home);
            // no periodic checkpoint in the test's lifetime: the only one is the one the stop writes
            Files.writeString(home.resolve("agent.yml"), "fedtune:\n  agent:\n    checkpoint-every: 100000\n");
            Path log = dir.resolve("agent.log");
            Process process = new ProcessBuilder(
                            Path.of(System.getProperty("java.home"), "bin", "java")
                                    .toString(),
                            "-cp",
                            System.getProperty("java.class.path"),
                            AgentCli.class.getName(),
                            "run",
                            "--home",
                            home.toString(),
                            "--data",
                            data.toString(),
                            "--model",
                            model.toString(),
                            "--device",
                            "cpu")
                    .redirectErrorStream(true)
                    .redirectOutput(log.toFile())
                    .start();
            try {
                await().atMost(Duration.ofSeconds(120))
                        .failFast(() -> !process.isAlive())
                        .until(() -> Files.readString(log).contains("training from step 1 of"));
                assertThat(checkpointStep(home))
                        .as("no checkpoint before the stop")
                        .isEmpty();

                process.destroy(); // SIGTERM
                assertThat(process.waitFor(120, TimeUnit.SECONDS)).isTrue();
            } finally {
                process.destroyForcibly();
            }

            String output = Files.readString(log);
            assertThat(process.exitValue()).as(output).isZero();
            assertThat(output)
                    .contains("SIGTERM received")
                    .contains("checkpointed")
                    .contains("stopped on request");
            assertThat(checkpointStep(home))
                    .hasValueSatisfying(step -> assertThat(step).isBetween(1, 99_999));
            assertThat(server.failures).isEmpty();
            assertThat(server.uploads).isEmpty();
        }
    }

    /** The step of the task's checkpoint, if there is one. */
    private static java.util.Optional<Integer> checkpointStep(Path home) throws IOException {
        Path tasks = home.resolve("tasks");
        if (!Files.isDirectory(tasks)) {
            return java.util.Optional.empty();
        }
        try (Stream<Path> files = Files.walk(tasks)) {
            List<Path> states = files.filter(
                            file -> file.getFileName().toString().equals("state.json")
                                    && file.getParent().getFileName().toString().equals("checkpoint"))
                    .toList();
            if (states.isEmpty()) {
                return java.util.Optional.empty();
            }
            assertThat(states).hasSize(1);
            JsonNode state = io.fedtune.agent.home.AgentHome.JSON.readTree(Files.readString(states.get(0)));
            return java.util.Optional.of(state.get("step").asInt());
        }
    }
}
