package io.fedtune.protocol.api;

import jakarta.validation.Valid;
import jakarta.validation.constraints.DecimalMax;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.Positive;
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
 * @param localDp the local differential privacy the agent applied before encoding, or null when none
 */
public record UpdateMetadata(
        @Min(1) @Max(1_000_000_000_000L) long exampleCount,
        @NotNull @Pattern(regexp = "[0-9a-f]{64}") String sha256,
        @NotNull UpdateCodec codec,
        @Min(0) int baseVersion,
        @Size(max = 64) Map<@NotNull @Pattern(regexp = "[A-Za-z0-9_.-]{1,64}") String, @NotNull Double> metrics,
        @Min(0) long trainingMillis,
        @Valid LocalDp localDp) {

    /** Metadata of an update without local differential privacy. */
    public UpdateMetadata(
            long exampleCount,
            String sha256,
            UpdateCodec codec,
            int baseVersion,
            Map<String, Double> metrics,
            long trainingMillis) {
        this(exampleCount, sha256, codec, baseVersion, metrics, trainingMillis, null);
    }

    /**
     * What the agent did to its delta before encoding: clipped it to L2 norm {@code clipNorm} and added Gaussian
     * noise of standard deviation {@code noiseMultiplier × clipNorm} to every coordinate.
     *
     * @param clipNorm S
     * @param noiseMultiplier z
     */
    public record LocalDp(
            @Positive @DecimalMax("1e6") double clipNorm,
            @Positive @DecimalMax("1000") double noiseMultiplier) {}

    /** The header that carries this record as JSON. */
    public static final String HEADER = "Fedtune-Update-Metadata";
}
