package io.fedtune.agent.offline;

import java.util.concurrent.atomic.AtomicBoolean;
import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * While open, Ctrl-C (SIGINT) asks a long command to stop cleanly instead of killing the JVM: the first one runs
 * {@code stop}, a second one exits at once with 130. Closing restores the previous handler.
 */
@SuppressWarnings("restriction")
final class StopOnInterrupt implements AutoCloseable {

    private static final Signal INT = new Signal("INT");

    private final SignalHandler previous;

    StopOnInterrupt(Runnable stop) {
        AtomicBoolean requested = new AtomicBoolean();
        SignalHandler installed;
        try {
            installed = Signal.handle(INT, signal -> {
                if (requested.compareAndSet(false, true)) {
                    stop.run();
                } else {
                    Runtime.getRuntime().halt(130);
                }
            });
        } catch (IllegalArgumentException | UnsupportedOperationException e) {
            installed = null; // no signal support here: Ctrl-C keeps its default meaning
        }
        this.previous = installed;
    }

    @Override
    public void close() {
        if (previous != null) {
            Signal.handle(INT, previous);
        }
    }
}
