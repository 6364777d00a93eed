package io.fedtune.aggregator.system;

import io.fedtune.protocol.api.AssignmentStatus;
import io.fedtune.protocol.api.FederationStatus;
import io.fedtune.protocol.api.RoundStatus;

/** The aggregator's three state machines (DESIGN.md), each declared once. */
public final class StateMachines {

    private StateMachines() {}

    /** {@code DRAFT → RUNNING ⇄ PAUSED}; RUNNING → COMPLETED | FAILED; any live state → CANCELLED. */
    public static final StateMachine<FederationStatus> FEDERATION = StateMachine.of(
                    "federation", FederationStatus.class)
            .allow(FederationStatus.DRAFT, FederationStatus.RUNNING, FederationStatus.CANCELLED)
            .allow(
                    FederationStatus.RUNNING,
                    FederationStatus.PAUSED,
                    FederationStatus.COMPLETED,
                    FederationStatus.FAILED,
                    FederationStatus.CANCELLED)
            .allow(FederationStatus.PAUSED, FederationStatus.RUNNING, FederationStatus.CANCELLED)
            .build();

    /** {@code COLLECTING → AGGREGATING → COMPLETED | FAILED}; COLLECTING → FAILED (too few updates, cancel). */
    public static final StateMachine<RoundStatus> ROUND = StateMachine.of("round", RoundStatus.class)
            .allow(RoundStatus.COLLECTING, RoundStatus.AGGREGATING, RoundStatus.FAILED)
            .allow(RoundStatus.AGGREGATING, RoundStatus.COMPLETED, RoundStatus.FAILED)
            .build();

    /** {@code ASSIGNED → DOWNLOADED → SUBMITTED | FAILED | EXPIRED}; an agent may also submit or fail undownloaded. */
    public static final StateMachine<AssignmentStatus> ASSIGNMENT = StateMachine.of(
                    "assignment", AssignmentStatus.class)
            .allow(
                    AssignmentStatus.ASSIGNED,
                    AssignmentStatus.DOWNLOADED,
                    AssignmentStatus.SUBMITTED,
                    AssignmentStatus.FAILED,
                    AssignmentStatus.EXPIRED)
            .allow(
                    AssignmentStatus.DOWNLOADED,
                    AssignmentStatus.SUBMITTED,
                    AssignmentStatus.FAILED,
                    AssignmentStatus.EXPIRED)
            .build();
}
