package io.fedtune.registry.system;

import java.io.EOFException;
import java.io.IOException;

/** The request body ended before it was complete: the client cut the connection or sent a truncated body. */
public class ClientGoneException extends EOFException {

    public ClientGoneException(String detail) {
        super(detail);
    }

    /** Whether a failure, or any of its causes, is a body that ended early or a connection the client closed. */
    public static boolean isDisconnect(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof EOFException || t.getClass().getSimpleName().equals("ClientAbortException")) {
                return true;
            }
            if (t instanceof IOException
                    && t.getMessage() != null
                    && (t.getMessage().contains("Broken pipe") || t.getMessage().contains("Connection reset"))) {
                return true;
            }
        }
        return false;
    }
}
