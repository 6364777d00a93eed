package io.fedtune.blobstore;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileSystemBlobStoreTests extends BlobStoreContractTests {

    @TempDir
    Path root;

    private FileSystemBlobStore store;

    @BeforeEach
    void open() {
        store = new FileSystemBlobStore(root);
    }

    @Override
    protected BlobStore store() {
        return store;
    }

    @Test
    void aFailedPutLeavesNoTemporaryFileBehind() throws IOException {
        try {
            store.put(
                    "x",
                    new ByteArrayInputStream(new byte[100]),
                    PutOptions.defaults().withMaxBytes(10));
        } catch (BlobTooLargeException expected) {
            // the point of the test is what is left on disk
        }
        try (Stream<Path> files = Files.walk(root)) {
            assertThat(files.filter(Files::isRegularFile)).isEmpty();
        }
    }

    @Test
    void temporaryFilesOfACrashedProcessAreRemovedWhenTheStoreOpens() throws IOException {
        Path stale = root.resolve(".tmp/crashed.part");
        Path fresh = root.resolve(".tmp/in-progress.part");
        Files.write(stale, new byte[10]);
        Files.write(fresh, new byte[10]);
        Files.setLastModifiedTime(stale, FileTime.from(Instant.now().minus(Duration.ofHours(2))));

        new FileSystemBlobStore(root);

        assertThat(stale).doesNotExist();
        assertThat(fresh).exists();
    }

    @Test
    void blobsAreLocalFilesThatCanBeReadDirectly() throws IOException {
        store.put("local/blob", new ByteArrayInputStream(new byte[] {4, 5, 6}));
        assertThat(store.localFile("local/blob")).hasValueSatisfying(path -> {
            try {
                assertThat(Files.readAllBytes(path)).containsExactly(4, 5, 6);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        assertThat(store.localFile("local/missing")).isEmpty();
    }

    @Test
    void deletingTheLastBlobOfADirectoryRemovesTheEmptyDirectories() throws IOException {
        store.put("deep/er/blob", new ByteArrayInputStream(new byte[1]));
        store.put("deep/other", new ByteArrayInputStream(new byte[1]));
        store.delete("deep/er/blob");
        assertThat(root.resolve("deep/er")).doesNotExist();
        assertThat(root.resolve("deep")).isDirectory();
    }
}
