package io.fedtune.blobstore;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.UUID;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link BlobStore} in a directory: each blob is a file at its key's path. A put writes to a temporary file in
 * {@code <root>/.tmp} (same file system), forces it to disk, then moves it into place atomically; temporary files
 * older than an hour, left by a crashed process, are removed when the store opens.
 */
public final class FileSystemBlobStore implements BlobStore {

    private static final Logger log = LoggerFactory.getLogger(FileSystemBlobStore.class);
    private static final String TMP = ".tmp";
    private static final int BUFFER = 1 << 16;

    private final Path root;
    private final Path tmp;

    /** Opens (and creates when missing) a store rooted at {@code root}. */
    public FileSystemBlobStore(Path root) {
        this.root = root.toAbsolutePath().normalize();
        this.tmp = this.root.resolve(TMP);
        try {
            Files.createDirectories(tmp);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot create blob directory " + tmp, e);
        }
        removeStaleTemporaries(Duration.ofHours(1));
    }

    /** The directory this store keeps its blobs in. */
    public Path root() {
        return root;
    }

    @Override
    public BlobInfo put(String key, InputStream content, PutOptions options) throws IOException {
        Path target = pathOf(key);
        Path temporary = tmp.resolve(UUID.randomUUID() + ".part");
        boolean moved = false;
        try {
            HashingCounter counter = new HashingCounter(key, options);
            try (FileChannel channel =
                            FileChannel.open(temporary, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
                    OutputStream out = Channels.newOutputStream(channel)) {
                byte[] buffer = new byte[BUFFER];
                for (int n; (n = content.read(buffer)) >= 0; ) {
                    counter.update(buffer, 0, n);
                    out.write(buffer, 0, n);
                }
                out.flush();
                channel.force(true);
            }
            BlobInfo info = counter.finish();
            Files.createDirectories(target.getParent());
            try {
                Files.move(temporary, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                throw new IOException("The file system under " + root + " cannot move files atomically", e);
            }
            moved = true;
            return info;
        } finally {
            if (!moved) {
                Files.deleteIfExists(temporary);
            }
        }
    }

    @Override
    public InputStream get(String key) throws IOException {
        try {
            return Files.newInputStream(pathOf(key));
        } catch (NoSuchFileException e) {
            throw new NoSuchBlobException(key);
        }
    }

    @Override
    public InputStream get(String key, long offset, long length) throws IOException {
        if (offset < 0 || length < 0) {
            throw new IllegalArgumentException("offset and length must not be negative: " + offset + ", " + length);
        }
        FileChannel channel;
        try {
            channel = FileChannel.open(pathOf(key), StandardOpenOption.READ);
        } catch (NoSuchFileException e) {
            throw new NoSuchBlobException(key);
        }
        try {
            long end = Math.min(channel.size(), offset + length);
            channel.position(Math.min(offset, end));
            return new BoundedInputStream(Channels.newInputStream(channel), Math.max(0, end - offset));
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    @Override
    public OptionalLong size(String key) throws IOException {
        try {
            BasicFileAttributes attributes = Files.readAttributes(pathOf(key), BasicFileAttributes.class);
            return attributes.isRegularFile() ? OptionalLong.of(attributes.size()) : OptionalLong.empty();
        } catch (NoSuchFileException e) {
            return OptionalLong.empty();
        }
    }

    @Override
    public boolean delete(String key) throws IOException {
        Path path = pathOf(key);
        boolean deleted = Files.deleteIfExists(path);
        for (Path dir = path.getParent(); deleted && !dir.equals(root); dir = dir.getParent()) {
            try {
                Files.deleteIfExists(dir);
            } catch (DirectoryNotEmptyException e) {
                break;
            }
        }
        return deleted;
    }

    @Override
    public List<BlobEntry> list(String prefix) throws IOException {
        BlobKeys.checkPrefix(prefix);
        int slash = prefix.lastIndexOf('/');
        Path start = slash < 0 ? root : root.resolve(prefix.substring(0, slash));
        if (!Files.isDirectory(start)) {
            return List.of();
        }
        List<BlobEntry> entries = new ArrayList<>();
        try (Stream<Path> paths = Files.walk(start)) {
            for (Path path : (Iterable<Path>) paths::iterator) {
                if (path.startsWith(tmp)) {
                    continue;
                }
                BasicFileAttributes attributes;
                try {
                    attributes = Files.readAttributes(path, BasicFileAttributes.class);
                } catch (NoSuchFileException e) {
                    continue; // deleted while we walked
                }
                if (!attributes.isRegularFile()) {
                    continue;
                }
                String key = root.relativize(path)
                        .toString()
                        .replace(path.getFileSystem().getSeparator(), "/");
                if (key.startsWith(prefix)) {
                    entries.add(new BlobEntry(
                            key,
                            attributes.size(),
                            attributes.lastModifiedTime().toInstant()));
                }
            }
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
        entries.sort(Comparator.comparing(BlobEntry::key));
        return entries;
    }

    @Override
    public Optional<Path> localFile(String key) {
        Path path = pathOf(key);
        return Files.isRegularFile(path) ? Optional.of(path) : Optional.empty();
    }

    private Path pathOf(String key) {
        Path path = root.resolve(BlobKeys.check(key)).normalize();
        if (!path.startsWith(root) || path.startsWith(tmp)) {
            throw new IllegalArgumentException("Invalid blob key: " + key);
        }
        return path;
    }

    private void removeStaleTemporaries(Duration olderThan) {
        Instant cutoff = Instant.now().minus(olderThan);
        try (Stream<Path> parts = Files.list(tmp)) {
            for (Path part : (Iterable<Path>) parts::iterator) {
                if (Files.getLastModifiedTime(part).toInstant().isBefore(cutoff)) {
                    Files.deleteIfExists(part);
                }
            }
        } catch (IOException e) {
            log.warn("Could not clean temporary files in {}: {}", tmp, e.getMessage());
        }
    }
}
