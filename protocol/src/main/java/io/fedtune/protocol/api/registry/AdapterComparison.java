package io.fedtune.protocol.api.registry;

import java.util.List;
import java.util.UUID;

/**
 * Two versions of one federation side by side, {@code GET .../versions/{n}/compare?with=m}.
 *
 * @param federationId the federation
 * @param version n
 * @param with m
 * @param metrics every metric either version has, with both values and the change from n to m
 * @param sameContent whether both have the same bytes
 * @param generations how many parent steps lead from the older to the newer when one descends from the other
 *     (null when neither does)
 */
public record AdapterComparison(
        UUID federationId,
        int version,
        int with,
        List<MetricComparison> metrics,
        boolean sameContent,
        Integer generations) {

    /**
     * One metric of both versions.
     *
     * @param name the metric, e.g. {@code holdout_loss}
     * @param version its value in n (null if n lacks it)
     * @param with its value in m (null if m lacks it)
     * @param delta m minus n, when both have it
     */
    public record MetricComparison(String name, Double version, Double with, Double delta) {}
}
