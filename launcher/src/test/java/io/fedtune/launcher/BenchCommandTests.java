package io.fedtune.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class BenchCommandTests {

    @Test
    void benchListsTheAggregationBenchmark() {
        assertThat(run(0, "bench", "--help")).contains("aggregation");
    }

    @Test
    void aggregationBenchmarkEndsWithItsRate() {
        String out = run(
                0, "bench", "aggregation", "--clients", "3", "--params", "1000", "--tensors", "4", "--repeats", "1");
        String[] lines = out.strip().split("\\R");
        assertThat(lines[lines.length - 1]).matches("GB/s: \\d+\\.\\d\\d");
        assertThat(out).contains("clients: 3, params: 1,000").contains("from the blob store, every run");
    }

    @Test
    void fromMemoryTimesTheSumOfUpdatesLoadedOnceAndSaysSo() {
        String out = run(
                0,
                "bench",
                "aggregation",
                "--clients",
                "3",
                "--params",
                "1000",
                "--tensors",
                "4",
                "--repeats",
                "1",
                "--from-memory");
        String[] lines = out.strip().split("\\R");
        assertThat(lines[lines.length - 1]).matches("GB/s: \\d+\\.\\d\\d");
        assertThat(out).contains("from heap arrays loaded once");
    }

    @Test
    void impossibleSizesAreRefusedWithAMessage() {
        StringWriter err = new StringWriter();
        CommandLine cli = Fedtune.commandLine();
        cli.setErr(new PrintWriter(err));
        assertThat(cli.execute("bench", "aggregation", "--clients", "0")).isEqualTo(2);
        assertThat(err.toString()).contains("--clients");
    }

    private static String run(int status, String... args) {
        StringWriter out = new StringWriter();
        CommandLine cli = Fedtune.commandLine();
        cli.setOut(new PrintWriter(out));
        assertThat(cli.execute(args)).isEqualTo(status);
        return out.toString();
    }
}
