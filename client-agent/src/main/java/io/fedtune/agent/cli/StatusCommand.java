package io.fedtune.agent.cli;

import io.fedtune.agent.home.AgentHome;
import io.fedtune.agent.home.AgentHomeException;
import io.fedtune.agent.home.AgentStatus;
import io.fedtune.agent.home.Credentials;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code fedtune-agent status}: the federation this home is enrolled in, the current task, the last rounds. */
@Command(
        name = "status",
        mixinStandardHelpOptions = true,
        description = "Show the enrolled federation, the current task and the last rounds.")
public final class StatusCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--home", description = "The agent home (default: $FEDTUNE_AGENT_HOME or ~/.fedtune-agent).")
    Path home;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        AgentHome agentHome = AgentHome.open(home == null ? AgentHome.defaultLocation() : home);
        Credentials credentials;
        try {
            credentials = agentHome.credentials();
        } catch (AgentHomeException e) {
            spec.commandLine().getErr().println(e.getMessage());
            return 1;
        }
        out.println("home:        " + agentHome.root());
        out.println("server:      " + credentials.server());
        out.println("federation:  " + credentials.federationId());
        out.println("client:      " + credentials.name() + " (" + credentials.clientId() + ")");
        AgentStatus status = agentHome.status();
        out.println("state:       " + status.state()
                + (status.updatedAt() == null ? "" : " (at " + status.updatedAt() + ")"));
        if (status.currentTask() != null) {
            AgentStatus.CurrentTask t = status.currentTask();
            out.println("task:        round " + t.round() + " attempt " + t.attempt() + ", " + t.phase() + ", deadline "
                    + t.deadline());
        }
        if (status.lastRounds().isEmpty()) {
            out.println("rounds:      none yet");
        } else {
            out.println("rounds:");
            out.println("  round  outcome     train loss  holdout loss  examples   bytes up  bytes down  finished");
            for (AgentStatus.RoundRecord r : status.lastRounds()) {
                out.println(String.format(
                        Locale.ROOT,
                        "  %5d  %-10s  %10.4f  %12.4f  %8d  %9d  %10d  %s",
                        r.round(),
                        r.outcome(),
                        r.trainLoss(),
                        r.evalLoss(),
                        r.examples(),
                        r.bytesUp(),
                        r.bytesDown(),
                        r.finishedAt()));
            }
        }
        return 0;
    }
}
