package io.fedtune.launcher.demo;

import java.util.concurrent.locks.ReentrantLock;

/**
 * One tensor computation at a time in the demo's JVM: the agents' local training and the demo's own scoring take
 * turns. On two cores nothing is lost, and runs that overlapped evaluation with training sometimes diverged to NaN.
 */
final class DemoCompute {

    /** Held around each agent task's training and each scoring call. */
    static final ReentrantLock LOCK = new ReentrantLock(true);

    private DemoCompute() {}
}
