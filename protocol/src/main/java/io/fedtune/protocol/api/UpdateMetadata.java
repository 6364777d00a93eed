package io.fedtune.protocol.api;

import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.Size;
import java.util.Map;

/**
 * What an agent says about the update it uploads. The body of {@code PUT .../rounds/{round}/update} is the
 * safetensors bytes; this record travels as compact JSON in the {@code Fedtune-Update-Metadata} request header.
 *
 * @param exampleCount local training examples (FedAvg's weight)
 * @param sha256 the lower-case hex SHA-256 of the body; the upload is refused when they differ
 * @param codec how the body is encoded (must be the federation's)
 * @param baseVersion the global adapter version the update was trained from
 * @param metrics the agent's metrics, e.g. {@code train_loss}, {@code eval_loss} (at most 64)
 * @param trainingMillis how long local training took
 */
public record UpdateMetadata(
        @Min(1) @Max(1_000_000_000_000L) long exampleCount,
        @NotNull @Pattern(regexp = "[0-9a-f]{64}") String sha256,
        @NotNull UpdateCodec codec,
        @Min(0) int baseVersion,
        @Size(max = 64) Map<@NotNull @Pattern(regexp = "[A-Za-z0-9_.-]{1,64}") String, @NotNull Double> metrics,
        @Min(0) long trainingMillis) {

    /** The header that carries this record as JSON. */
    public static final String HEADER = "Fedtune-Update-Metadata";
}
