package io.fedtune.launcher;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import sun.misc.Signal;

/** {@code fedtune up}: the platform on this machine until Ctrl-C. */
@Command(
        name = "up",
        mixinStandardHelpOptions = true,
        description = {
            "Start the model registry, the aggregator and the gateway on this machine, on an embedded PostgreSQL",
            "(or --database-url), and keep them running until Ctrl-C. Data stays in --home between runs."
        })
final class UpCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(
            names = "--home",
            description = "Where the platform keeps its data (default: ${DEFAULT-VALUE}).",
            defaultValue = "${env:FEDTUNE_HOME:-${sys:user.home}/.fedtune}")
    Path home;

    @Option(names = "--gateway-port", defaultValue = "8080", description = "Default: ${DEFAULT-VALUE}.")
    int gatewayPort;

    @Option(names = "--aggregator-port", defaultValue = "8081", description = "Default: ${DEFAULT-VALUE}.")
    int aggregatorPort;

    @Option(names = "--registry-port", defaultValue = "8082", description = "Default: ${DEFAULT-VALUE}.")
    int registryPort;

    @Option(
            names = "--postgres-port",
            defaultValue = "0",
            description = "Port of the embedded PostgreSQL; 0 picks a free one (default).")
    int postgresPort;

    @Option(
            names = "--database-url",
            description = "Use this PostgreSQL (jdbc:postgresql://…) instead of the embedded one.")
    String databaseUrl;

    @Option(names = "--database-user", defaultValue = "postgres", description = "Default: ${DEFAULT-VALUE}.")
    String databaseUser;

    @Option(
            names = "--database-password",
            defaultValue = "${env:FEDTUNE_DATABASE_PASSWORD:-}",
            description = "Default: $FEDTUNE_DATABASE_PASSWORD.")
    String databasePassword;

    @Override
    public Integer call() throws InterruptedException {
        PrintWriter out = spec.commandLine().getOut();
        Platform.Options options = new Platform.Options(
                home.toAbsolutePath(),
                gatewayPort,
                aggregatorPort,
                registryPort,
                postgresPort,
                databaseUrl,
                databaseUser,
                databasePassword);
        Platform platform = Platform.start(options);
        CountDownLatch stopped = new CountDownLatch(1);
        Runnable stop = () -> {
            out.println("Stopping fedtune…");
            out.flush();
            platform.close();
            stopped.countDown();
        };
        // Our own handlers, so that services stop before their database and not all at once.
        Signal.handle(new Signal("INT"), signal -> new Thread(stop, "fedtune-stop").start());
        Signal.handle(new Signal("TERM"), signal -> new Thread(stop, "fedtune-stop").start());

        out.println();
        out.println("fedtune is up.");
        out.println("  gateway     " + platform.gatewayUrl() + "   (the one door: /api/v1/…, /swagger-ui.html)");
        out.println("  aggregator  " + platform.aggregatorUrl());
        out.println("  registry    " + platform.registryUrl());
        out.println("  health      " + platform.gatewayUrl() + "/actuator/health");
        out.println("  data        "
                + (platform.postgresDataDirectory() == null ? databaseUrl : platform.postgresDataDirectory()));
        out.println("Press Ctrl-C to stop.");
        out.flush();
        stopped.await();
        out.println("fedtune stopped; data kept in " + options.home());
        out.flush();
        return 0;
    }
}
