package io.fedtune.aggregator.aggregation;

import static org.assertj.core.api.Assertions.assertThat;

import io.fedtune.testsupport.ChildJvm;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * FedAvg streams: its memory grows with the tile, not with clients × adapter. A child JVM whose heap is a tenth of
 * the round's updates (20 × 32 MB under {@value #HEAP}) averages them through the service's path and checks every
 * value; the same child made to hold the updates in heap first dies of it, so the cap is tight enough to tell.
 */
class FedAvgBoundedMemoryTests {

    /** A tenth of the round's 640 MB of updates; two clients' updates alone would fill it. */
    static final String HEAP = "64m";

    private static final Duration TIMEOUT = Duration.ofMinutes(5);

    @Test
    void twentyUpdatesOf32MegabytesAreAveragedExactlyUnderA64MegabyteHeap(@TempDir Path directory) throws Exception {
        try (ChildJvm child = start(directory, List.of())) {
            int exit = child.waitFor(TIMEOUT);
            assertThat(exit).as(child.output()).isZero();
            assertThat(child.output()).contains("checked all 8,388,608 averaged values");
        }
    }

    @Test
    void holdingTheUpdatesInHeapInsteadDoesNotFitThatHeap(@TempDir Path directory) throws Exception {
        try (ChildJvm child = start(directory, List.of("--hold-in-heap"))) {
            int exit = child.waitFor(TIMEOUT);
            assertThat(exit).as(child.output()).isEqualTo(3);
            assertThat(child.output()).contains("OutOfMemoryError").doesNotContain("checked all");
        }
    }

    private static ChildJvm start(Path directory, List<String> options) throws Exception {
        List<String> args = new java.util.ArrayList<>(List.of(directory.toString()));
        args.addAll(options);
        return ChildJvm.start(
                HEAP,
                List.of("-Djava.io.tmpdir=" + directory),
                FedAvgUnderSmallHeap.class,
                args,
                directory.resolve("child.log"));
    }
}
