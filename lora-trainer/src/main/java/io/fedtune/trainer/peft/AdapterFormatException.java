package io.fedtune.trainer.peft;

/** An adapter directory that is not a PEFT adapter fedtune can use; the message names the file and the problem. */
public class AdapterFormatException extends RuntimeException {
    public AdapterFormatException(String message) {
        super(message);
    }

    public AdapterFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
