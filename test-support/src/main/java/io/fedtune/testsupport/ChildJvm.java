package io.fedtune.testsupport;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A JVM started by a test on the test's own classpath, with a heap cap of its own: how the memory tests prove that
 * something runs within a bounded heap. Its output goes to a file, so a chatty child never blocks on a full pipe.
 */
public final class ChildJvm implements AutoCloseable {

    private final Process process;
    private final Path log;

    private ChildJvm(Process process, Path log) {
        this.process = process;
        this.log = log;
    }

    /**
     * Starts {@code mainClass} with {@code -Xmx<heap>} and {@code -XX:+ExitOnOutOfMemoryError}, so that running out of
     * heap ends it (exit code 3) instead of leaving it limping along.
     */
    public static ChildJvm start(String heap, List<String> jvmOptions, Class<?> mainClass, List<String> args, Path log)
            throws IOException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-Xmx" + heap);
        command.add("-XX:+ExitOnOutOfMemoryError");
        command.addAll(jvmOptions);
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(mainClass.getName());
        command.addAll(args);
        Process process = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        return new ChildJvm(process, log);
    }

    /** Waits for the child to end and returns its exit code, or -1 when it had to be killed after {@code timeout}. */
    public int waitFor(Duration timeout) throws InterruptedException {
        if (process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            return process.exitValue();
        }
        close();
        return -1;
    }

    /**
     * Waits until the child, a service, answers 200 on {@code readinessUrl}; fails at once, with the child's output,
     * when it dies first (an OutOfMemoryError at start-up, say).
     */
    public void awaitReady(String readinessUrl, Duration within) {
        await("ready at " + readinessUrl)
                .atMost(within)
                .pollInterval(Duration.ofMillis(250))
                .ignoreException(java.io.UncheckedIOException.class) // not listening yet
                .until(() -> {
                    if (!isAlive()) {
                        throw new IllegalStateException("the child JVM ended; its output:\n" + output());
                    }
                    return ServiceChecks.get(readinessUrl).statusCode() == 200;
                });
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** Everything the child printed so far. */
    public String output() {
        try {
            return Files.readString(log, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(could not read " + log + ": " + e.getMessage() + ")";
        }
    }

    /** Asks the child to stop, and kills it when it has not within 20 seconds. */
    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(20, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(20, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
