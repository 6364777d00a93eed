package io.fedtune.agent.train;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/** A one-way stop request shared by the agent's loop, its trainer and its waits (SIGTERM raises it). */
public final class StopSignal {

    private final CountDownLatch latch = new CountDownLatch(1);

    /** Asks everything that watches this signal to finish what it does and stop. */
    public void requestStop() {
        latch.countDown();
    }

    public boolean isStopRequested() {
        return latch.getCount() == 0;
    }

    /**
     * Sleeps for {@code duration} unless a stop is requested first.
     *
     * @return whether a stop was requested
     */
    public boolean await(Duration duration) {
        try {
            return latch.await(Math.max(0, duration.toMillis()), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return true;
        }
    }
}
