package io.fedtune.blobstore;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** SHA-256 and byte count of a stream, updated chunk by chunk as a put writes. */
final class HashingCounter {

    private final MessageDigest digest;
    private final String key;
    private final PutOptions options;
    private long size;

    HashingCounter(String key, PutOptions options) {
        this.key = key;
        this.options = options;
        try {
            this.digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every JVM", e);
        }
    }

    /** Counts and hashes a chunk; fails as soon as the size limit is passed. */
    void update(byte[] buffer, int offset, int length) throws BlobTooLargeException {
        size += length;
        if (size > options.maxBytes()) {
            throw new BlobTooLargeException(key, options.maxBytes());
        }
        digest.update(buffer, offset, length);
    }

    long size() {
        return size;
    }

    /** Finishes the digest and checks it against the expected one. */
    BlobInfo finish() throws ChecksumMismatchException {
        String sha256 = HexFormat.of().formatHex(digest.digest());
        if (options.expectedSha256() != null && !options.expectedSha256().equals(sha256)) {
            throw new ChecksumMismatchException(key, options.expectedSha256(), sha256);
        }
        return new BlobInfo(key, size, sha256);
    }
}
