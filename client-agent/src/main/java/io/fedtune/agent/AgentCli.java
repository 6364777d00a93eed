package io.fedtune.agent;

import io.fedtune.protocol.FedtuneVersion;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code fedtune-agent}: the command line a data owner uses. Each command is a class of its own, registered in
 * {@link #commandLine()}.
 */
@Command(
        name = "fedtune-agent",
        mixinStandardHelpOptions = true,
        versionProvider = AgentCli.Version.class,
        description = "The fedtune client agent: trains adapters next to your data and sends only the adapter.",
        subcommands = {
            CommandLine.HelpCommand.class,
            io.fedtune.agent.cli.EnrollCommand.class,
            io.fedtune.agent.cli.RunCommand.class,
            io.fedtune.agent.cli.StatusCommand.class,
            io.fedtune.agent.cli.DoctorCommand.class,
            io.fedtune.agent.offline.InspectCommand.class,
            io.fedtune.agent.offline.GenerateCommand.class,
            io.fedtune.agent.offline.LogitsCommand.class,
            io.fedtune.agent.offline.TrainCommand.class,
            io.fedtune.agent.offline.EvalCommand.class,
            io.fedtune.agent.offline.BenchCommand.class
        })
public final class AgentCli {

    /** The agent's command line with every subcommand registered. */
    public static CommandLine commandLine() {
        return new CommandLine(new AgentCli()).setCaseInsensitiveEnumValuesAllowed(true);
    }

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /** Reports the fedtune version and the JVM it runs on. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {
                "fedtune-agent " + FedtuneVersion.get(),
                "JVM: ${java.version} (${java.vendor} ${java.vm.name})",
                "OS: ${os.name} ${os.version} ${os.arch}"
            };
        }
    }
}
