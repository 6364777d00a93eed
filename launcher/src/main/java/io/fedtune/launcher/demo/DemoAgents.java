package io.fedtune.launcher.demo;

import java.nio.file.Path;
import java.util.List;

/**
 * The data owners' side of the demo: one agent per client, in this JVM, each speaking HTTP to the gateway only, as a
 * real agent on another machine would.
 */
interface DemoAgents {

    /**
     * Enrolls every seat's agent and starts its task loop on a thread of its own; returns once all are enrolled. The
     * agents run until their federation ends or the fleet is closed.
     */
    Fleet launch(String gatewayUrl, Path modelDirectory, List<Seat> seats, Events events);

    /**
     * One client's place in the federation.
     *
     * @param client its data
     * @param enrollmentToken the token the admin handed it
     * @param home the agent's own directory (credentials, downloads, checkpoints)
     */
    record Seat(DemoClient client, String enrollmentToken, Path home) {}

    /** The running agents; closing stops them. */
    interface Fleet extends AutoCloseable {
        @Override
        void close();
    }

    /** What the agents report while they work; called from their threads. */
    interface Events {

        /** A client finished its local training for a round and uploaded its update. */
        void trained(String client, int round, int steps, double trainLoss);

        /** A client gave up on a task or on the federation. */
        void failed(String client, String message);
    }
}
