package io.fedtune.blobstore;

/**
 * What a successful {@link BlobStore#put} stored.
 *
 * @param key where it is stored
 * @param size its length in bytes
 * @param sha256 the lower-case hex SHA-256 of its content
 */
public record BlobInfo(String key, long size, String sha256) {}
