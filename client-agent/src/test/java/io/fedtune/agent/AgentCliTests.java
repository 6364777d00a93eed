package io.fedtune.agent;

import static org.assertj.core.api.Assertions.assertThat;

import io.fedtune.protocol.FedtuneVersion;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class AgentCliTests {

    @Test
    void versionFlagPrintsTheBuildVersion() {
        StringWriter out = new StringWriter();
        CommandLine cli = AgentCli.commandLine();
        cli.setOut(new PrintWriter(out));
        assertThat(cli.execute("--version")).isZero();
        assertThat(FedtuneVersion.get()).matches("\\d+\\.\\d+\\.\\d+.*");
        assertThat(out.toString()).startsWith("fedtune-agent " + FedtuneVersion.get());
    }

    @Test
    void helpDescribesTheAgent() {
        StringWriter out = new StringWriter();
        CommandLine cli = AgentCli.commandLine();
        cli.setOut(new PrintWriter(out));
        assertThat(cli.execute("--help")).isZero();
        assertThat(out.toString()).contains("Usage: fedtune-agent").contains("--version");
    }

    @Test
    void unknownOptionFailsWithUsageError() {
        StringWriter err = new StringWriter();
        CommandLine cli = AgentCli.commandLine();
        cli.setErr(new PrintWriter(err));
        assertThat(cli.execute("--no-such-flag")).isEqualTo(2);
        assertThat(err.toString()).contains("Unknown option: '--no-such-flag'");
    }
}
