package io.fedtune.agent.offline;

import io.fedtune.agent.AgentCli;
import java.io.PrintWriter;
import java.io.StringWriter;
import picocli.CommandLine;

/** Runs the agent's command line in-process and keeps what it printed. */
record OfflineCli(int exitCode, String out, String err) {

    static OfflineCli run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = AgentCli.commandLine();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        int exitCode = cli.execute(args);
        return new OfflineCli(exitCode, out.toString(), err.toString());
    }

    /** The last non-blank line printed on standard output. */
    String lastLine() {
        return out.strip().lines().reduce((a, b) -> b).orElse("");
    }
}
