package io.fedtune.blobstore;

import java.io.IOException;

/** Thrown when a put's content exceeds its size limit; nothing was stored. */
public class BlobTooLargeException extends IOException {

    private final long limit;

    public BlobTooLargeException(String key, long limit) {
        super("Content for '" + key + "' exceeds the limit of " + limit + " bytes");
        this.limit = limit;
    }

    /** The limit that was exceeded, in bytes. */
    public long limit() {
        return limit;
    }
}
