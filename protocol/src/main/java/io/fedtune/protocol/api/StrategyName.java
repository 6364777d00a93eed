package io.fedtune.protocol.api;

import com.fasterxml.jackson.annotation.JsonProperty;

/** How the clients' updates of a round are combined (see ALGORITHMS.md for each one's math and paper). */
public enum StrategyName {
    /** Example-weighted average (McMahan et al. 2017). */
    @JsonProperty("fedavg")
    FEDAVG,
    /** FedAvg with server momentum (Hsu et al., arXiv 1909.06335). */
    @JsonProperty("fedavgm")
    FEDAVGM,
    /** Adam on the averaged delta (Reddi et al., arXiv 2003.00295). */
    @JsonProperty("fedadam")
    FEDADAM,
    /** Yogi on the averaged delta (Reddi et al.). */
    @JsonProperty("fedyogi")
    FEDYOGI,
    /** Adagrad on the averaged delta (Reddi et al.). */
    @JsonProperty("fedadagrad")
    FEDADAGRAD,
    /** Coordinate-wise median (Yin et al. 2018). */
    @JsonProperty("median")
    MEDIAN,
    /** Coordinate-wise trimmed mean: drop the trimFraction smallest and largest values at each coordinate. */
    @JsonProperty("trimmed_mean")
    TRIMMED_MEAN,
    /** Krum: the one update closest to its n − f − 2 nearest neighbours (Blanchard et al. 2017). */
    @JsonProperty("krum")
    KRUM,
    /** Multi-Krum: the average of the m best-scoring updates by Krum's score. */
    @JsonProperty("multi_krum")
    MULTI_KRUM
}
