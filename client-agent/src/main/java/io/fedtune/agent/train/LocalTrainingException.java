package io.fedtune.agent.train;

import io.fedtune.protocol.api.FailureReason;

/** Local training cannot produce an update; {@link #reason()} is what the agent reports to the aggregator. */
public class LocalTrainingException extends Exception {

    private final FailureReason reason;

    public LocalTrainingException(FailureReason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public LocalTrainingException(FailureReason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    public FailureReason reason() {
        return reason;
    }
}
