package io.fedtune.trainer.model;

/**
 * A model directory that cannot be loaded: an unsupported architecture, a missing or misshapen tensor, a corrupt
 * file, or weights larger than the memory budget. The message names the file and the tensor or field at fault.
 */
public class ModelLoadException extends RuntimeException {
    public ModelLoadException(String message) {
        super(message);
    }

    public ModelLoadException(String message, Throwable cause) {
        super(message, cause);
    }
}
