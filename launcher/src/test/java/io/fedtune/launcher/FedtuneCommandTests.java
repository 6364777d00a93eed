package io.fedtune.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class FedtuneCommandTests {

    @Test
    void helpListsEveryCommand() {
        String help = run("--help");
        assertThat(help).contains("Usage: fedtune").contains("up", "demo", "agent", "bench", "tiny-model");
    }

    @Test
    void theAgentsUsageNamesTheCommandAsTyped() {
        assertThat(run("agent", "--help")).startsWith("Usage: fedtune agent ");
        assertThat(run("agent", "run", "--help")).startsWith("Usage: fedtune agent run ");
    }

    @Test
    void agentCommandsAreReachableUnderAgent() {
        assertThat(run("agent", "--version")).startsWith("fedtune-agent ");
    }

    private static String run(String... args) {
        StringWriter out = new StringWriter();
        CommandLine cli = Fedtune.commandLine();
        cli.setOut(new PrintWriter(out));
        assertThat(cli.execute(args)).isZero();
        return out.toString();
    }
}
