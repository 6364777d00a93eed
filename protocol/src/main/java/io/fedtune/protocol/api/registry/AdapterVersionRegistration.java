package io.fedtune.protocol.api.registry;

import com.fasterxml.jackson.annotation.JsonIgnore;
import jakarta.validation.Valid;
import jakarta.validation.constraints.AssertTrue;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.PositiveOrZero;
import jakarta.validation.constraints.Size;

/**
 * The metadata of one adapter version, the first part ({@code metadata}) of
 * {@code POST /api/v1/adapters/{federationId}/versions}; the second part ({@code adapter}) streams its safetensors
 * bytes. The first version a federation registers creates the federation's record in the registry.
 *
 * <p>Registration is idempotent: the same version with the same {@code sha256} again answers 200 with the stored
 * version; the same version with other content is 409.
 *
 * @param version the global adapter version: 0 is the initial adapter, r the result of round r
 * @param round the round that produced it (0 for the initial adapter)
 * @param parentVersion the version it was aggregated from; null only for a root (version 0)
 * @param federationName the federation's human name, for listings and the model card
 * @param baseModel the base model: a registered model's id or name, or the name the agents resolve
 * @param peft how the adapter is parameterised
 * @param strategy the aggregation strategy, e.g. {@code fedavg}, {@code trimmed_mean}
 * @param privacy the federation's privacy settings (null means none)
 * @param metrics what the round measured (null means none)
 * @param sha256 the lower-case hex SHA-256 of the adapter bytes; the upload is refused when they differ
 * @param sizeBytes the length of the adapter bytes, when known; the upload is refused when it differs
 */
public record AdapterVersionRegistration(
        @Min(0) @Max(1_000_000) int version,
        @Min(0) @Max(1_000_000) int round,
        @PositiveOrZero Integer parentVersion,
        @NotBlank @Size(max = 200) String federationName,
        @NotBlank @Size(max = 200) String baseModel,
        @NotNull @Valid AdapterPeftConfig peft,
        @NotBlank @Pattern(regexp = "[a-z0-9_]{1,64}") String strategy,
        @Valid PrivacySettings privacy,
        @Valid AdapterMetrics metrics,
        @NotNull @Pattern(regexp = "[0-9a-f]{64}") String sha256,
        @PositiveOrZero Long sizeBytes) {

    public AdapterVersionRegistration {
        privacy = privacy == null ? PrivacySettings.none() : privacy;
        metrics = metrics == null ? AdapterMetrics.empty() : metrics;
    }

    @JsonIgnore
    @AssertTrue(message = "parentVersion must be lower than version")
    public boolean isParentOlder() {
        return parentVersion == null || parentVersion < version;
    }
}
