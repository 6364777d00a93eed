package io.fedtune.agent.offline;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import sun.misc.Signal;

@SuppressWarnings("restriction")
class StopOnInterruptTests {

    @Test
    void ctrlCWhileOpenRequestsAStopInsteadOfEndingTheJvm() throws InterruptedException {
        CountDownLatch stopped = new CountDownLatch(1);

        try (StopOnInterrupt interrupt = new StopOnInterrupt(stopped::countDown)) {
            Signal.raise(new Signal("INT"));
            assertThat(stopped.await(10, TimeUnit.SECONDS)).isTrue();
        }
    }
}
