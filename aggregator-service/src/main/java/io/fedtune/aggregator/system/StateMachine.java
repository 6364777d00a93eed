package io.fedtune.aggregator.system;

import java.util.EnumMap;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;
import org.springframework.http.HttpStatus;

/**
 * One state machine's legal transitions, declared in one place; any other move throws. The three of the aggregator
 * are {@link StateMachines}.
 *
 * @param <S> the state enum
 */
public final class StateMachine<S extends Enum<S>> {

    private final String name;
    private final Map<S, Set<S>> legal;

    private StateMachine(String name, Map<S, Set<S>> legal) {
        this.name = name;
        this.legal = legal;
    }

    /** Starts a table for the given enum. */
    public static <S extends Enum<S>> Builder<S> of(String name, Class<S> type) {
        return new Builder<>(name, type);
    }

    /** Whether {@code from → to} is legal. */
    public boolean canMove(S from, S to) {
        return legal.get(from).contains(to);
    }

    /**
     * Checks a transition.
     *
     * @throws IllegalTransitionException when it is not legal
     */
    public S move(S from, S to) {
        if (!canMove(from, to)) {
            throw new IllegalTransitionException(name, from, to);
        }
        return to;
    }

    /** The states reachable in one step from {@code from}. */
    public Set<S> next(S from) {
        return legal.get(from);
    }

    /** Builds the table. */
    public static final class Builder<S extends Enum<S>> {
        private final String name;
        private final Map<S, Set<S>> legal;
        private final Class<S> type;

        private Builder(String name, Class<S> type) {
            this.name = name;
            this.type = type;
            this.legal = new EnumMap<>(type);
            for (S s : type.getEnumConstants()) {
                legal.put(s, EnumSet.noneOf(type));
            }
        }

        @SafeVarargs
        public final Builder<S> allow(S from, S... to) {
            legal.get(from).addAll(java.util.List.of(to));
            return this;
        }

        public StateMachine<S> build() {
            Map<S, Set<S>> frozen = new EnumMap<>(type);
            legal.forEach((k, v) -> frozen.put(k, Set.copyOf(v)));
            return new StateMachine<>(name, frozen);
        }
    }

    /** An attempted transition that the table does not allow; a 409 for API callers. */
    public static final class IllegalTransitionException extends AggregatorException {
        IllegalTransitionException(String machine, Enum<?> from, Enum<?> to) {
            super(
                    HttpStatus.CONFLICT,
                    "illegal-transition",
                    "A " + machine + " cannot move from " + from + " to " + to);
        }
    }
}
