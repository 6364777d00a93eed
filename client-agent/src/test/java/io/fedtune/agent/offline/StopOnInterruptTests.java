package io.fedtune.agent.offline;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import sun.misc.Signal;

/**
 * The handler is exercised in a child JVM whose SIGINT is reset to its default first: a JVM started in the background
 * by a non-interactive shell (as CI may start Maven) inherits SIGINT ignored, and then no Java handler can be
 * installed at all, so raising the signal in this JVM would prove nothing either way.
 */
@SuppressWarnings("restriction")
class StopOnInterruptTests {

    @Test
    void ctrlCWhileOpenRequestsAStopInsteadOfEndingTheJvm() throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        if (envResetsSignals()) {
            command.addAll(List.of("env", "--default-signal=INT"));
        }
        command.addAll(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                System.getProperty("java.class.path"),
                Probe.class.getName()));
        Process child = new ProcessBuilder(command).redirectErrorStream(true).start();
        assertThat(child.waitFor(60, TimeUnit.SECONDS)).isTrue();
        String output = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);

        assertThat(output).contains("stop requested");
        assertThat(child.exitValue()).as(output).isZero();
    }

    private static boolean envResetsSignals() throws InterruptedException {
        try {
            return new ProcessBuilder("env", "--default-signal=INT", "true")
                            .start()
                            .waitFor()
                    == 0;
        } catch (IOException e) {
            return false;
        }
    }

    /** The child: opens the handler, raises SIGINT at itself, and exits 0 only when the stop ran and it survived. */
    public static final class Probe {
        public static void main(String[] args) throws InterruptedException {
            CountDownLatch stopped = new CountDownLatch(1);
            try (StopOnInterrupt interrupt = new StopOnInterrupt(stopped::countDown)) {
                Signal.raise(new Signal("INT"));
                if (!stopped.await(10, TimeUnit.SECONDS)) {
                    System.out.println("no stop within 10 s");
                    System.exit(1);
                }
            }
            System.out.println("stop requested");
        }
    }
}
