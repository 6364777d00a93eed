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

/** {@code fedtune demo}'s command line: bad options and bad input end with a clear message and status 2. */
class DemoCommandTests {

    @Test
    void helpDescribesTheOptionsUsersNeed() {
        Result result = run("demo", "--help");
        assertThat(result.status).isZero();
        assertThat(result.out)
                .contains("--rounds", "--clients", "--strategy", "--model", "--data", "--summary", "--home");
    }

    @Test
    void anUnknownStrategyIsRefusedNamingTheKnownOnes() {
        Result result = run("demo", "--strategy", "fedmagic");
        assertThat(result.status).isEqualTo(2);
        assertThat(result.err).contains("--strategy fedmagic is not one of", "fedavg", "fedadam", "krum");
    }

    @Test
    void outOfRangeNumbersAreRefused() {
        assertThat(run("demo", "--rounds", "0").err).contains("--rounds must be between 1 and 1000, was 0");
        assertThat(run("demo", "--clients", "1").err).contains("--clients must be between 2 and 12, was 1");
        assertThat(run("demo", "--steps", "-3").status).isEqualTo(2);
        assertThat(run("demo", "--rounds", "many").err).contains("'many' is not an int");
    }

    @Test
    void aDataDirectoryAndAClientCountExcludeEachOther(@TempDir Path dir) {
        Result result = run("demo", "--data", dir.toString(), "--clients", "3");
        assertThat(result.status).isEqualTo(2);
        assertThat(result.err).contains("--clients and --data exclude each other");
    }

    @Test
    void aMissingModelDirectoryIsRefusedBeforeAnythingStarts(@TempDir Path dir) {
        Result result = run("demo", "--model", dir.resolve("nope").toString(), "--home", dir.toString());
        assertThat(result.status).isEqualTo(2);
        assertThat(result.err).contains("--model " + dir.resolve("nope") + " is not a directory");
    }

    @Test
    void aMalformedDataLineIsReportedWithItsFileAndLineNumber(@TempDir Path dir) throws Exception {
        Path data = Files.createDirectories(dir.resolve("data"));
        Files.writeString(data.resolve("a.jsonl"), "{\"text\":\"one\"}\n{\"text\":\"two\"}\n");
        Files.writeString(data.resolve("b.jsonl"), "{\"text\":\"one\"}\n\n{\"text\": broken\n");
        Path model = Files.createDirectories(dir.resolve("model"));
        Files.writeString(model.resolve("config.json"), """
                {"model_type":"llama","hidden_size":16,"intermediate_size":32,"num_hidden_layers":1,
                 "num_attention_heads":2}""");

        Result result = run(
                "demo",
                "--data",
                data.toString(),
                "--model",
                model.toString(),
                "--home",
                dir.resolve("home").toString());

        assertThat(result.status).isEqualTo(2);
        assertThat(result.err).contains(data.resolve("b.jsonl") + ":3: not valid JSON");
        assertThat(dir.resolve("home/platform")).doesNotExist(); // refused before the platform started
    }

    @Test
    void aModelOfAnUnsupportedArchitectureIsRefusedNamingIt(@TempDir Path dir) throws Exception {
        Path model = Files.createDirectories(dir.resolve("model"));
        Files.writeString(model.resolve("config.json"), "{\"model_type\":\"bert\",\"hidden_size\":16}");

        Result result = run(
                "demo",
                "--model",
                model.toString(),
                "--home",
                dir.resolve("home").toString());

        assertThat(result.status).isEqualTo(2);
        assertThat(result.err).contains("model_type 'bert' is not supported");
    }

    private record Result(int status, String out, String err) {}

    private static Result run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = Fedtune.commandLine();
        cli.setOut(new PrintWriter(out));
        cli.setErr(new PrintWriter(err));
        int status = cli.execute(args);
        return new Result(status, out.toString(), err.toString());
    }
}
