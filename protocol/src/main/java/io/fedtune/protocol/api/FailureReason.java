package io.fedtune.protocol.api;

import com.fasterxml.jackson.annotation.JsonProperty;

/** Why an agent could not deliver its update. */
public enum FailureReason {
    @JsonProperty("out_of_memory")
    OUT_OF_MEMORY,
    @JsonProperty("data_error")
    DATA_ERROR,
    @JsonProperty("diverged")
    DIVERGED,
    @JsonProperty("download_failed")
    DOWNLOAD_FAILED,
    @JsonProperty("deadline")
    DEADLINE,
    @JsonProperty("shutdown")
    SHUTDOWN,
    @JsonProperty("other")
    OTHER
}
