package io.fedtune.blobstore;

import java.util.Locale;

/**
 * Checks a {@link BlobStore#put} applies while it streams; when one fails, nothing is stored.
 *
 * @param maxBytes the most bytes accepted ({@link Long#MAX_VALUE} for no limit)
 * @param expectedSha256 the lower-case hex SHA-256 the content must have, or null to accept any
 */
public record PutOptions(long maxBytes, String expectedSha256) {

    private static final PutOptions DEFAULTS = new PutOptions(Long.MAX_VALUE, null);

    public PutOptions {
        if (maxBytes < 0) {
            throw new IllegalArgumentException("maxBytes must not be negative: " + maxBytes);
        }
        if (expectedSha256 != null) {
            expectedSha256 = expectedSha256.toLowerCase(Locale.ROOT);
            if (!expectedSha256.matches("[0-9a-f]{64}")) {
                throw new IllegalArgumentException("expectedSha256 must be 64 hex digits: " + expectedSha256);
            }
        }
    }

    /** No size limit, no expected checksum. */
    public static PutOptions defaults() {
        return DEFAULTS;
    }

    /** These options with a size limit. */
    public PutOptions withMaxBytes(long limit) {
        return new PutOptions(limit, expectedSha256);
    }

    /** These options with an expected SHA-256. */
    public PutOptions withExpectedSha256(String sha256) {
        return new PutOptions(maxBytes, sha256);
    }
}
