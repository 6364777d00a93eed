package io.fedtune.protocol.api.registry;

import java.time.Instant;

/**
 * A base model checkpoint uploaded as one archive.
 *
 * @param contentType the media type it was uploaded with, e.g. {@code application/zip}
 * @param sizeBytes its size
 * @param sha256 its SHA-256 (also its ETag)
 * @param downloadPath where to download it ({@code GET}, Range supported)
 * @param uploadedAt when it was uploaded
 */
public record ModelArchiveView(
        String contentType, long sizeBytes, String sha256, String downloadPath, Instant uploadedAt) {}
