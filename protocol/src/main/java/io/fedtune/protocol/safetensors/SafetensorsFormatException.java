package io.fedtune.protocol.safetensors;

import java.io.IOException;
import java.util.Optional;

/**
 * A safetensors body (file, upload or codec payload) is malformed. The message names the problem and, where there is
 * one, the tensor; nothing was returned from the body.
 */
public class SafetensorsFormatException extends IOException {

    private static final long serialVersionUID = 1L;

    private final String tensorName;

    /** A problem with the body as a whole. */
    public SafetensorsFormatException(String message) {
        this(message, null, null);
    }

    /** A problem with one tensor, named in the message too. */
    public SafetensorsFormatException(String message, String tensorName) {
        this(message, tensorName, null);
    }

    /** A problem found by a lower layer ({@code cause}). */
    public SafetensorsFormatException(String message, String tensorName, Throwable cause) {
        super(message, cause);
        this.tensorName = tensorName;
    }

    /** The tensor at fault, when the problem is one tensor's. */
    public Optional<String> tensorName() {
        return Optional.ofNullable(tensorName);
    }
}
