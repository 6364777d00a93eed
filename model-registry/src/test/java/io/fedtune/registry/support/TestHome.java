package io.fedtune.registry.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/** A {@code fedtune.home} for the tests of this JVM: a temporary directory, deleted when the JVM exits. */
public final class TestHome {

    private static Path path;

    private TestHome() {}

    public static synchronized Path path() {
        if (path == null) {
            try {
                path = Files.createTempDirectory("fedtune-registry-test");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            Path created = path;
            Runtime.getRuntime().addShutdownHook(new Thread(() -> delete(created)));
        }
        return path;
    }

    /** A fresh directory under the test home, for a context of its own. */
    public static Path fresh(String name) {
        try {
            return Files.createTempDirectory(path(), name);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Deletes a directory tree. */
    public static void delete(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // best effort: the operating system cleans its temporary directory eventually
        }
    }

    /** Every regular file under a directory, temporary files included. */
    public static java.util.List<Path> files(Path root) {
        if (!Files.exists(root)) {
            return java.util.List.of();
        }
        try (Stream<Path> paths = Files.walk(root)) {
            return paths.filter(Files::isRegularFile).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
