package io.fedtune.blobstore;

import java.time.Instant;

/**
 * One stored blob as {@link BlobStore#list} reports it.
 *
 * @param key its key
 * @param size its length in bytes
 * @param lastModified when it became visible (used to age out orphans)
 */
public record BlobEntry(String key, long size, Instant lastModified) {}
