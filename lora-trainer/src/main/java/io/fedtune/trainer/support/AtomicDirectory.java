package io.fedtune.trainer.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * Replaces a directory all at once: its new content is written into a fresh sibling, which then takes the target's
 * place by rename. When writing fails the target is as it was and no temporary directory is left.
 */
public final class AtomicDirectory {
    /** Writes files into the directory it is given. */
    @FunctionalInterface
    public interface Writer {
        void writeInto(Path staging) throws IOException;
    }

    private AtomicDirectory() {}

    /**
     * Puts back the previous copy of {@code target} when a crash fell between the two renames of {@link #replace}
     * (the old copy moved aside, the new one not yet in place); does nothing when {@code target} exists.
     */
    public static void recover(Path target) {
        Path absolute = target.toAbsolutePath().normalize();
        Path parent = absolute.getParent();
        if (Files.exists(absolute) || parent == null || !Files.isDirectory(parent)) {
            return;
        }
        String prefix = "." + absolute.getFileName() + ".old-";
        try (java.util.stream.Stream<Path> siblings = Files.list(parent)) {
            java.util.Optional<Path> old = siblings.filter(
                            p -> p.getFileName().toString().startsWith(prefix))
                    .findFirst();
            if (old.isPresent()) {
                move(old.get(), absolute);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot recover " + absolute, e);
        }
    }

    public static void replace(Path target, Writer writer) {
        Path absolute = target.toAbsolutePath().normalize();
        Path parent = absolute.getParent();
        String unique = UUID.randomUUID().toString().substring(0, 8);
        Path staging = parent.resolve("." + absolute.getFileName() + ".tmp-" + unique);
        try {
            Files.createDirectories(parent);
            Files.createDirectory(staging);
            writer.writeInto(staging);
            if (Files.exists(absolute)) {
                Path old = parent.resolve("." + absolute.getFileName() + ".old-" + unique);
                move(absolute, old);
                move(staging, absolute);
                deleteTree(old);
            } else {
                move(staging, absolute);
            }
        } catch (IOException e) {
            deleteTree(staging);
            throw new UncheckedIOException("cannot write " + absolute, e);
        } catch (RuntimeException e) {
            deleteTree(staging);
            throw e;
        }
    }

    private static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to);
        }
    }

    /** Deletes a directory tree, best effort. */
    public static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException ignored) {
                    // best effort: leftovers are hidden .tmp-/.old- siblings
                }
            });
        } catch (IOException ignored) {
            // best effort
        }
    }
}
