package io.fedtune.launcher.demo;

/** The demo cannot go on; the message says why in words a user can act on. */
public class DemoException extends RuntimeException {

    public DemoException(String message) {
        super(message);
    }

    public DemoException(String message, Throwable cause) {
        super(message, cause);
    }
}
