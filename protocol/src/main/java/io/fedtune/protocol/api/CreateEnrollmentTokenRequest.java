package io.fedtune.protocol.api;

import com.fasterxml.jackson.annotation.JsonIgnore;
import jakarta.validation.constraints.AssertTrue;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Size;
import java.time.Duration;

/**
 * Asks for a new enrollment token: {@code POST /api/v1/federations/{id}/enrollment-tokens}.
 *
 * @param expiresIn how long it stays valid (ISO-8601, from 1 minute to 365 days)
 * @param maxUses how many agents may enroll with it
 * @param label a note for admins (e.g. the organisation it is for)
 */
public record CreateEnrollmentTokenRequest(
        @NotNull Duration expiresIn,
        @Min(1) @Max(100_000) int maxUses,
        @Size(max = 200) String label) {

    @JsonIgnore
    @AssertTrue(message = "expiresIn must be between 1 minute and 365 days")
    public boolean isExpiryReasonable() {
        return expiresIn == null
                || (expiresIn.compareTo(Duration.ofMinutes(1)) >= 0 && expiresIn.compareTo(Duration.ofDays(365)) <= 0);
    }
}
