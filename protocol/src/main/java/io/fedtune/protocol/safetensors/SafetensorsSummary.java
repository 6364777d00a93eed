package io.fedtune.protocol.safetensors;

import io.fedtune.protocol.checksum.ContentDigest;
import java.util.Objects;

/**
 * What validating a whole safetensors stream yields: its header and the SHA-256 and length of every byte read.
 *
 * @param header the validated header
 * @param digest SHA-256 and length of the whole body
 */
public record SafetensorsSummary(SafetensorsHeader header, ContentDigest digest) {

    public SafetensorsSummary {
        Objects.requireNonNull(header, "header");
        Objects.requireNonNull(digest, "digest");
    }
}
