package io.fedtune.aggregator.system;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fedtune.protocol.api.AssignmentStatus;
import io.fedtune.protocol.api.FederationStatus;
import io.fedtune.protocol.api.RoundStatus;
import java.util.Set;
import org.junit.jupiter.api.Test;

class StateMachinesTests {

    private static <S extends Enum<S>> void checkEveryPair(StateMachine<S> machine, Class<S> type, int legalCount) {
        int legal = 0;
        for (S from : type.getEnumConstants()) {
            for (S to : type.getEnumConstants()) {
                if (machine.canMove(from, to)) {
                    assertThat(machine.move(from, to)).isEqualTo(to);
                    legal++;
                } else {
                    assertThatThrownBy(() -> machine.move(from, to))
                            .isInstanceOf(StateMachine.IllegalTransitionException.class)
                            .hasMessageContaining(from + " to " + to);
                }
            }
        }
        assertThat(legal).isEqualTo(legalCount);
    }

    @Test
    void everyIllegalFederationTransitionThrows() {
        checkEveryPair(StateMachines.FEDERATION, FederationStatus.class, 8);
        assertThat(StateMachines.FEDERATION.next(FederationStatus.RUNNING))
                .isEqualTo(Set.of(
                        FederationStatus.PAUSED,
                        FederationStatus.COMPLETED,
                        FederationStatus.FAILED,
                        FederationStatus.CANCELLED));
        for (FederationStatus terminal :
                Set.of(FederationStatus.COMPLETED, FederationStatus.FAILED, FederationStatus.CANCELLED)) {
            assertThat(StateMachines.FEDERATION.next(terminal)).isEmpty();
        }
    }

    @Test
    void everyIllegalRoundTransitionThrows() {
        checkEveryPair(StateMachines.ROUND, RoundStatus.class, 4);
        assertThat(StateMachines.ROUND.canMove(RoundStatus.COMPLETED, RoundStatus.COLLECTING))
                .isFalse();
    }

    @Test
    void everyIllegalAssignmentTransitionThrows() {
        checkEveryPair(StateMachines.ASSIGNMENT, AssignmentStatus.class, 7);
        assertThat(StateMachines.ASSIGNMENT.canMove(AssignmentStatus.SUBMITTED, AssignmentStatus.FAILED))
                .isFalse();
    }
}
