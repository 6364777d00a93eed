package io.fedtune.protocol.api;

/** A round's state: {@code COLLECTING → AGGREGATING → COMPLETED | FAILED} (or COLLECTING → FAILED). */
public enum RoundStatus {
    COLLECTING,
    AGGREGATING,
    COMPLETED,
    FAILED
}
