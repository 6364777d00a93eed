package io.fedtune.agent.offline;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class BenchCommandTests {

    @Test
    void benchOfASmallModelEndsWithTokensPerSecond() {
        OfflineCli run = OfflineCli.run(
                "bench",
                "--hidden",
                "32",
                "--layers",
                "1",
                "--heads",
                "2",
                "--kv-heads",
                "1",
                "--intermediate",
                "64",
                "--vocab",
                "300",
                "--seq",
                "16",
                "--batch",
                "2",
                "--lora-r",
                "4",
                "--threads",
                "1",
                "--steps",
                "2",
                "--warmup",
                "1");

        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.out()).contains("LoRA r4 alpha 8").contains("MFU").contains("tokens per CPU-second");
        assertThat(run.lastLine()).matches("tokens/s: [0-9]+\\.[0-9]");
        assertThat(Double.parseDouble(run.lastLine().substring("tokens/s: ".length())))
                .isPositive();
    }

    @Test
    void benchRejectsDimensionsThatDoNotDivide() {
        OfflineCli run = OfflineCli.run("bench", "--hidden", "30", "--heads", "4");

        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.err()).startsWith("fedtune-agent bench: ").contains("multiple of heads");
    }
}
