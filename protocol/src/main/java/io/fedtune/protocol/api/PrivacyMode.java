package io.fedtune.protocol.api;

import com.fasterxml.jackson.annotation.JsonProperty;

/** Differential privacy applied by the aggregator. */
public enum PrivacyMode {
    /** No differential privacy. */
    @JsonProperty("none")
    NONE,
    /** User-level DP-FedAvg (McMahan et al., arXiv 1710.06963): clip each delta, average, add Gaussian noise. */
    @JsonProperty("dp_fedavg")
    DP_FEDAVG
}
