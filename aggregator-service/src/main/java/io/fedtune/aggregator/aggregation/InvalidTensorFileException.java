package io.fedtune.aggregator.aggregation;

import java.io.IOException;

/** Thrown when an uploaded tensor file is malformed or does not match the federation's adapter. */
public class InvalidTensorFileException extends IOException {

    public InvalidTensorFileException(String message) {
        super(message);
    }
}
