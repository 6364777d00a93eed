package io.fedtune.blobstore;

import java.io.IOException;

/** Thrown when a put's content does not have the expected SHA-256; nothing was stored. */
public class ChecksumMismatchException extends IOException {

    private final String expected;
    private final String actual;

    public ChecksumMismatchException(String key, String expected, String actual) {
        super("Content for '" + key + "' has SHA-256 " + actual + ", expected " + expected);
        this.expected = expected;
        this.actual = actual;
    }

    public String expected() {
        return expected;
    }

    public String actual() {
        return actual;
    }
}
