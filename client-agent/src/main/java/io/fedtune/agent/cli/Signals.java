package io.fedtune.agent.cli;

import org.slf4j.LoggerFactory;

/**
 * Turns SIGTERM and SIGINT into a stop request instead of the JVM's shutdown, so the agent can finish its training
 * step, checkpoint and exit 0 on its own.
 */
final class Signals {

    private Signals() {}

    @SuppressWarnings("restriction")
    static void onTerminate(Runnable stop) {
        for (String name : new String[] {"TERM", "INT"}) {
            try {
                sun.misc.Signal.handle(new sun.misc.Signal(name), signal -> {
                    LoggerFactory.getLogger(Signals.class)
                            .info("SIG{} received: finishing the current step, then stopping", name);
                    stop.run();
                });
            } catch (IllegalArgumentException | UnsupportedOperationException e) {
                Runtime.getRuntime().addShutdownHook(new Thread(stop, "fedtune-agent-stop"));
            }
        }
    }
}
