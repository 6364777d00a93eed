package io.fedtune.protocol.api;

import com.fasterxml.jackson.annotation.JsonIgnore;
import jakarta.validation.constraints.AssertTrue;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;
import java.time.Duration;

/**
 * How many rounds a federation runs, how long each may take, and what a failed round does.
 *
 * @param count the number of rounds; the federation completes after the last one
 * @param deadline how long a round collects updates (ISO-8601, e.g. {@code PT30M}; from 1 s to 7 days)
 * @param onFailure what happens when a round ends with fewer than the minimum updates
 * @param maxRetries with {@link FailurePolicy#RETRY_ROUND}: retries of one round before the federation fails
 */
public record RoundPolicy(
        @Min(1) @Max(100_000) int count,
        @NotNull Duration deadline,
        FailurePolicy onFailure,
        @Min(0) @Max(100) int maxRetries) {

    public RoundPolicy {
        onFailure = onFailure == null ? FailurePolicy.FAIL_FEDERATION : onFailure;
    }

    @JsonIgnore
    @AssertTrue(message = "rounds.deadline must be between 1 second and 7 days")
    public boolean isDeadlineReasonable() {
        return deadline == null
                || (deadline.compareTo(Duration.ofSeconds(1)) >= 0 && deadline.compareTo(Duration.ofDays(7)) <= 0);
    }
}
