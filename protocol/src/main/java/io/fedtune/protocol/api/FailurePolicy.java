package io.fedtune.protocol.api;

import com.fasterxml.jackson.annotation.JsonProperty;

/** What a federation does when a round cannot reach its minimum number of updates. */
public enum FailurePolicy {
    /** The federation fails (the default): an admin looks, fixes, and creates a new one. */
    @JsonProperty("fail_federation")
    FAIL_FEDERATION,
    /** The round is opened again with a fresh sample, up to maxRetries times; then the federation fails. */
    @JsonProperty("retry_round")
    RETRY_ROUND
}
