package io.fedtune.protocol.api;

/** A federation's state: {@code DRAFT → RUNNING ⇄ PAUSED → COMPLETED | FAILED | CANCELLED}. */
public enum FederationStatus {
    DRAFT,
    RUNNING,
    PAUSED,
    COMPLETED,
    FAILED,
    CANCELLED;

    /** Whether no further transition can happen. */
    public boolean isTerminal() {
        return this == COMPLETED || this == FAILED || this == CANCELLED;
    }
}
