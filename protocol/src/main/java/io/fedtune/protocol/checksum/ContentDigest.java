package io.fedtune.protocol.checksum;

import java.util.Objects;

/**
 * The SHA-256 (lowercase hex) and length of a body that was written or read as a stream, as an upload's metadata
 * carries them.
 *
 * @param sha256 the SHA-256 of the bytes, 64 lowercase hexadecimal characters
 * @param byteCount how many bytes there were
 */
public record ContentDigest(String sha256, long byteCount) {

    public ContentDigest {
        Objects.requireNonNull(sha256, "sha256");
        if (!Sha256.isHex(sha256)) {
            throw new IllegalArgumentException("not a lowercase hex SHA-256: '" + sha256 + "'");
        }
        if (byteCount < 0) {
            throw new IllegalArgumentException("byteCount must not be negative: " + byteCount);
        }
    }

    /** Whether {@code expectedSha256} names the same content, compared in constant time. */
    public boolean matches(String expectedSha256) {
        return Sha256.equalsConstantTime(sha256, expectedSha256);
    }
}
