package io.fedtune.protocol.api;

/** One client's part in one round: {@code ASSIGNED → DOWNLOADED → SUBMITTED | FAILED | EXPIRED}. */
public enum AssignmentStatus {
    ASSIGNED,
    DOWNLOADED,
    SUBMITTED,
    FAILED,
    EXPIRED
}
