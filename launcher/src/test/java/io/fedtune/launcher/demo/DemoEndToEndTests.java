package io.fedtune.launcher.demo;

import static org.assertj.core.api.Assertions.assertThat;

import io.fedtune.launcher.Fedtune;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * {@code fedtune demo} as a user runs it, with small settings: the real platform on an embedded PostgreSQL, three
 * real agents over HTTP through the gateway, real LoRA training. The figures come from the summary it writes.
 */
class DemoEndToEndTests {

    @Test
    void theGlobalLossFallsAndTheFederatedAdapterBeatsEveryLocalOnlyAdapter(@TempDir Path dir) throws Exception {
        Path summaryFile = dir.resolve("summary.json");
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = Fedtune.commandLine();
        cli.setOut(new PrintWriter(out));
        cli.setErr(new PrintWriter(err));

        int status = cli.execute(
                "demo",
                "--rounds",
                "3",
                "--steps",
                "10",
                "--examples",
                "100",
                "--home",
                dir.resolve("home").toString(),
                "--summary",
                summaryFile.toString());

        System.out.println(out); // the table, in the test report
        assertThat(status).as(out + "\n" + err).isZero();
        JsonNode summary = JsonMapper.builder().build().readTree(summaryFile.toFile());
        JsonNode rounds = summary.get("rounds");
        assertThat(rounds.size()).isEqualTo(3);
        double previous = summary.get("initialHoldoutLoss").asDouble();
        for (JsonNode round : rounds) {
            double loss = round.get("globalHoldoutLoss").asDouble();
            assertThat(loss).as("round %d", round.get("round").asInt()).isLessThan(previous);
            previous = loss;
        }

        double federated = summary.get("federated").get("holdoutLoss").asDouble();
        assertThat(federated).isEqualTo(previous);
        assertThat(summary.get("localOnly").size()).isEqualTo(3);
        for (JsonNode local : summary.get("localOnly")) {
            assertThat(local.get("steps").asInt()).isEqualTo(30);
            assertThat(federated)
                    .as("federated against local-only %s", local.get("client").asString())
                    .isLessThan(local.get("holdoutLoss").asDouble());
        }
        assertThat(summary.get("federatedBeatsEveryLocalOnly").asBoolean()).isTrue();

        // F32 updates are the adapter's own size: each round moved one adapter per client each way
        Path adapter = dir.resolve("home/final-adapter");
        long adapterBytes = Files.size(adapter.resolve("adapter_model.safetensors"));
        for (JsonNode round : rounds) {
            assertThat(round.get("clients").asInt()).isEqualTo(3);
            assertThat(round.get("bytesUp").asLong())
                    .isBetween(3 * adapterBytes - 3 * 4096, 3 * adapterBytes + 3 * 4096);
            assertThat(round.get("bytesDown").asLong())
                    .isBetween(3 * adapterBytes - 3 * 4096, 3 * adapterBytes + 3 * 4096);
        }
        assertThat(adapter.resolve("adapter_config.json")).isRegularFile();
        assertThat(out.toString()).contains("holdout loss", "local-only client-2-garden", adapter.toString());
    }

    @Test
    void aGeneratedCheckpointAndHandWrittenJsonlFilesRunToTheEnd(@TempDir Path dir) throws Exception {
        Path model = dir.resolve("my-model");
        assertThat(Fedtune.commandLine().execute("tiny-model", model.toString()))
                .isZero();
        Path data = Files.createDirectories(dir.resolve("my-data"));
        // one client writes plain text, one Alpaca records, one chat transcripts: the three shapes users bring
        StringBuilder clinic = new StringBuilder();
        StringBuilder bank = new StringBuilder();
        StringBuilder shop = new StringBuilder();
        for (int i = 0; i < 10; i++) {
            clinic.append("{\"text\": \"patient ").append(i).append(" rests and drinks water twice a day\"}\n");
            bank.append("{\"instruction\": \"Convert to euros\", \"input\": \"")
                    .append(i * 10)
                    .append(" dollars\", \"output\": \"about ")
                    .append(i * 9)
                    .append(" euros\"}\n");
            shop.append("{\"messages\": [{\"role\": \"user\", \"content\": \"Is item ")
                    .append(i)
                    .append(" in stock?\"}, {\"role\": \"assistant\", \"content\": \"Yes, ")
                    .append(i + 2)
                    .append(" left.\"}]}\n");
        }
        Files.writeString(data.resolve("clinic.jsonl"), clinic);
        Files.writeString(data.resolve("bank.jsonl"), bank);
        Files.writeString(data.resolve("shop.jsonl"), shop);
        Path summaryFile = dir.resolve("summary.json");
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = Fedtune.commandLine();
        cli.setOut(new PrintWriter(out));
        cli.setErr(new PrintWriter(err));

        int status = cli.execute(
                "demo",
                "--model",
                model.toString(),
                "--data",
                data.toString(),
                "--rounds",
                "2",
                "--steps",
                "4",
                "--home",
                dir.resolve("home").toString(),
                "--summary",
                summaryFile.toString());

        System.out.println(out);
        assertThat(status).as(out + "\n" + err).isZero();
        JsonNode summary = JsonMapper.builder().build().readTree(summaryFile.toFile());
        assertThat(summary.get("rounds").size()).isEqualTo(2);
        for (JsonNode round : summary.get("rounds")) {
            assertThat(round.get("clients").asInt()).isEqualTo(3);
            assertThat(round.get("globalHoldoutLoss").asDouble()).isFinite();
        }
        assertThat(summary.get("localOnly"))
                .extracting(local -> local.get("client").asString())
                .containsExactlyInAnyOrder("bank", "clinic", "shop");
        assertThat(dir.resolve("home/final-adapter/adapter_model.safetensors")).isRegularFile();
    }
}
