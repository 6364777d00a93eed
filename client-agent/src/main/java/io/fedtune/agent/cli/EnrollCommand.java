package io.fedtune.agent.cli;

import io.fedtune.agent.Agents;
import io.fedtune.agent.home.AgentHome;
import io.fedtune.agent.home.Credentials;
import io.fedtune.agent.net.ServerException;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code fedtune-agent enroll}: trades a one-time enrollment token for client credentials kept in the home. */
@Command(
        name = "enroll",
        mixinStandardHelpOptions = true,
        description = "Enroll this machine in a federation with a one-time token from its admin.")
public final class EnrollCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--server", required = true, description = "The fedtune server (gateway or aggregator) URL.")
    URI server;

    @Option(names = "--token", required = true, description = "The enrollment token.")
    String token;

    @Option(names = "--name", description = "This client's name in the federation (default: the host name).")
    String name;

    @Option(names = "--home", description = "The agent home (default: $FEDTUNE_AGENT_HOME or ~/.fedtune-agent).")
    Path home;

    @Option(names = "--force", description = "Replace the credentials of an earlier enrollment.")
    boolean force;

    @Override
    public Integer call() {
        Path dir = home == null ? AgentHome.defaultLocation() : home;
        if (AgentHome.open(dir).isEnrolled() && !force) {
            spec.commandLine()
                    .getErr()
                    .println("The agent home " + dir + " is enrolled already; add --force to replace its credentials,"
                            + " or use another --home.");
            return 1;
        }
        try {
            Credentials credentials = Agents.enroll(server, token, name, dir);
            spec.commandLine()
                    .getOut()
                    .println("Enrolled as " + credentials.name() + " (client " + credentials.clientId()
                            + ") in federation " + credentials.federationId() + ". Credentials are in "
                            + dir.resolve("credentials.json") + " (readable by you only).");
            return 0;
        } catch (ServerException e) {
            spec.commandLine()
                    .getErr()
                    .println("The server refused the enrollment: " + e.getMessage()
                            + (e.status() == 401 || e.status() == 403
                                    ? ". The token may be wrong, used up or expired; ask the admin for a new one."
                                    : ""));
            return 1;
        } catch (IOException e) {
            spec.commandLine()
                    .getErr()
                    .println("Cannot reach " + server + ": " + e + ". Check the URL and the network.");
            return 1;
        }
    }
}
