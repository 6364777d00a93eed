package io.fedtune.protocol.api;

import com.fasterxml.jackson.annotation.JsonProperty;

/** Differential privacy: applied by the aggregator ({@code dp_fedavg}) or by each agent before upload ({@code local_dp}). */
public enum PrivacyMode {
    /** No differential privacy. */
    @JsonProperty("none")
    NONE,
    /** User-level DP-FedAvg (McMahan et al., arXiv 1710.06963): clip each delta, average, add Gaussian noise. */
    @JsonProperty("dp_fedavg")
    DP_FEDAVG,
    /**
     * Local DP: each agent clips its own delta to {@code clipNorm} and adds Gaussian noise of standard deviation
     * {@code noiseMultiplier × clipNorm} before encoding, so no update leaves a client without noise. The
     * aggregator only averages.
     */
    @JsonProperty("local_dp")
    LOCAL_DP
}
