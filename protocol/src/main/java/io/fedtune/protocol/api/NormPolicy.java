package io.fedtune.protocol.api;

import com.fasterxml.jackson.annotation.JsonProperty;

/** What happens to an update whose delta norm exceeds {@link UpdateBounds#maxNorm()}. */
public enum NormPolicy {
    /** The upload is refused with 422 and nothing is stored. */
    @JsonProperty("reject")
    REJECT,
    /** The delta is scaled down to the bound when the round aggregates. */
    @JsonProperty("clip")
    CLIP
}
