package io.fedtune.protocol.safetensors;

/**
 * Bounds a reader enforces before it allocates anything, so a hostile header cannot make it run out of memory.
 *
 * @param maxHeaderBytes the largest JSON header accepted (Hugging Face's limit is 100 MB)
 * @param maxDataBytes the largest data section accepted; a header that declares more is rejected before any tensor is
 *     read
 */
public record SafetensorsLimits(long maxHeaderBytes, long maxDataBytes) {

    /** Hugging Face's header bound, 100,000,000 bytes. */
    public static final long DEFAULT_MAX_HEADER_BYTES = 100_000_000L;

    /** The header bound of Hugging Face and no bound on the data (files of any size). */
    public static final SafetensorsLimits DEFAULT = new SafetensorsLimits(DEFAULT_MAX_HEADER_BYTES, Long.MAX_VALUE);

    public SafetensorsLimits {
        if (maxHeaderBytes < 2 || maxHeaderBytes > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException(
                    "maxHeaderBytes must be between 2 and " + (Integer.MAX_VALUE - 8) + ", got " + maxHeaderBytes);
        }
        if (maxDataBytes < 0) {
            throw new IllegalArgumentException("maxDataBytes must not be negative, got " + maxDataBytes);
        }
    }

    /** These limits with another header bound. */
    public SafetensorsLimits withMaxHeaderBytes(long bytes) {
        return new SafetensorsLimits(bytes, maxDataBytes);
    }

    /** These limits with another data bound, as a service sets for uploads. */
    public SafetensorsLimits withMaxDataBytes(long bytes) {
        return new SafetensorsLimits(maxHeaderBytes, bytes);
    }
}
