package io.fedtune.agent.home;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * What {@code fedtune-agent status} shows: what the agent is doing now and how its last rounds went.
 *
 * @param state idle, training, uploading, stopped, ...
 * @param currentTask the task in hand, or null
 * @param lastRounds the most recent rounds, newest last (at most {@link #KEPT})
 * @param updatedAt when this was written
 */
public record AgentStatus(String state, CurrentTask currentTask, List<RoundRecord> lastRounds, Instant updatedAt) {

    /** How many rounds the status keeps. */
    public static final int KEPT = 20;

    public AgentStatus {
        lastRounds = lastRounds == null ? List.of() : List.copyOf(lastRounds);
    }

    public static AgentStatus empty() {
        return new AgentStatus("never-run", null, List.of(), null);
    }

    /** This status in a new state, with a new current task. */
    public AgentStatus with(String newState, CurrentTask task, Instant now) {
        return new AgentStatus(newState, task, lastRounds, now);
    }

    /** This status with one more finished round. */
    public AgentStatus withRound(RoundRecord round, Instant now) {
        List<RoundRecord> rounds = new ArrayList<>(lastRounds);
        rounds.add(round);
        while (rounds.size() > KEPT) {
            rounds.remove(0);
        }
        return new AgentStatus("idle", null, rounds, now);
    }

    /**
     * The task in hand.
     *
     * @param federationId its federation
     * @param round its round
     * @param attempt the round's attempt
     * @param deadline when the round stops collecting
     * @param phase downloading, training, uploading
     */
    public record CurrentTask(UUID federationId, int round, int attempt, Instant deadline, String phase) {}

    /**
     * One finished round as this agent saw it.
     *
     * @param federationId the federation
     * @param round the round
     * @param outcome uploaded, failed, abandoned
     * @param trainLoss the last training loss (NaN when none)
     * @param evalLoss the local holdout loss after training (NaN when none)
     * @param examples local training examples
     * @param bytesUp bytes uploaded
     * @param bytesDown bytes downloaded
     * @param detail the failure reason or receipt
     * @param finishedAt when it ended
     */
    public record RoundRecord(
            UUID federationId,
            int round,
            String outcome,
            double trainLoss,
            double evalLoss,
            long examples,
            long bytesUp,
            long bytesDown,
            String detail,
            Instant finishedAt) {}
}
