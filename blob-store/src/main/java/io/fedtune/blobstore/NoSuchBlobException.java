package io.fedtune.blobstore;

import java.io.IOException;

/** Thrown when a key names no stored blob. */
public class NoSuchBlobException extends IOException {

    public NoSuchBlobException(String key) {
        super("No blob stored under '" + key + "'");
    }
}
