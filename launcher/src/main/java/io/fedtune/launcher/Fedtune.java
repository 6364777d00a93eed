package io.fedtune.launcher;

import io.fedtune.agent.AgentCli;
import io.fedtune.launcher.demo.DemoCommand;
import io.fedtune.launcher.demo.TinyModelCommand;
import io.fedtune.protocol.FedtuneVersion;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code ./fedtune}: the one entry point users type. Each subcommand is a class of its own. */
@Command(
        name = "fedtune",
        mixinStandardHelpOptions = true,
        versionProvider = Fedtune.Version.class,
        description = "Federated fine-tuning of large language models: LoRA adapters trained where the data lives.",
        commandListHeading = "%nCommands:%n",
        subcommands = {
            UpCommand.class,
            DemoCommand.class,
            TinyModelCommand.class,
            BenchCommand.class,
            CommandLine.HelpCommand.class
        })
public final class Fedtune {

    /** The full command line, with the agent's commands under {@code agent}. */
    public static CommandLine commandLine() {
        CommandLine cli = new CommandLine(new Fedtune());
        // named "agent" here, so its usage reads "fedtune agent …" as the user typed it
        cli.addSubcommand("agent", AgentCli.commandLine().setCommandName("agent"));
        return cli;
    }

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"fedtune " + FedtuneVersion.get(), "JVM: ${java.version} (${java.vendor})"};
        }
    }
}
