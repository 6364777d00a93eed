package io.fedtune.blobstore;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Streaming storage of large immutable byte sequences (updates, adapters) under slash-separated keys.
 *
 * <p>The contract every implementation keeps:
 *
 * <ul>
 *   <li>{@link #put} streams: it never holds the whole content in memory, and it computes the SHA-256 and the size
 *       while writing.
 *   <li>Atomic visibility: a blob is visible to {@link #get}, {@link #size} and {@link #list} only once it is fully
 *       written and accepted; a put that fails for any reason (I/O error, too large, checksum mismatch, interrupted)
 *       leaves nothing behind and never damages a blob already stored under the same key.
 *   <li>Putting to an existing key replaces it atomically: readers see either the old or the new content.
 * </ul>
 *
 * Keys are validated by {@link BlobKeys#check(String)}.
 */
public interface BlobStore {

    /**
     * Stores the content read from {@code content} (read to its end, not closed) under {@code key}.
     *
     * @return the stored blob's key, size and SHA-256
     * @throws BlobTooLargeException when the content exceeds {@link PutOptions#maxBytes()}
     * @throws ChecksumMismatchException when the content's SHA-256 differs from {@link PutOptions#expectedSha256()}
     * @throws IOException on any other failure; nothing is stored then either
     */
    BlobInfo put(String key, InputStream content, PutOptions options) throws IOException;

    /** Stores the content with no size limit and no expected checksum. */
    default BlobInfo put(String key, InputStream content) throws IOException {
        return put(key, content, PutOptions.defaults());
    }

    /**
     * Opens the whole blob for reading; the caller closes the stream.
     *
     * @throws NoSuchBlobException when no blob is stored under {@code key}
     */
    InputStream get(String key) throws IOException;

    /**
     * Opens {@code length} bytes of the blob starting at {@code offset}; a range reaching past the end is cut at the
     * end.
     *
     * @throws NoSuchBlobException when no blob is stored under {@code key}
     * @throws IllegalArgumentException when offset or length is negative
     */
    InputStream get(String key, long offset, long length) throws IOException;

    /** The size in bytes of the blob under {@code key}, or empty when there is none. */
    OptionalLong size(String key) throws IOException;

    /** Whether a blob is stored under {@code key}. */
    default boolean exists(String key) throws IOException {
        return size(key).isPresent();
    }

    /**
     * Deletes the blob under {@code key}.
     *
     * @return whether there was one
     */
    boolean delete(String key) throws IOException;

    /** Every blob whose key starts with {@code prefix} (empty for all), in key order. */
    List<BlobEntry> list(String prefix) throws IOException;

    /**
     * The local file holding a blob, when this store keeps blobs as local files (for memory-mapped, zero-copy reads
     * of immutable blobs); empty for remote stores and for missing blobs. Callers must only read it.
     */
    default Optional<Path> localFile(String key) throws IOException {
        return Optional.empty();
    }
}
