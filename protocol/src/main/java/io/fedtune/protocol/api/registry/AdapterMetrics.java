package io.fedtune.protocol.api.registry;

import com.fasterxml.jackson.annotation.JsonIgnore;
import jakarta.validation.constraints.AssertTrue;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.PositiveOrZero;
import jakarta.validation.constraints.Size;
import java.util.Map;
import java.util.TreeMap;

/**
 * What the round that produced an adapter version measured. Every field is optional (version 0, the initial
 * adapter, has no training behind it).
 *
 * @param trainLoss the example-weighted mean training loss the clients reported
 * @param holdoutLoss the example-weighted mean loss on the clients' local holdout sets
 * @param clients how many clients contributed
 * @param examples how many training examples were behind the contributions
 * @param epsilon the ε of the (ε, δ)-DP guarantee spent up to this version, with differential privacy on
 * @param delta the δ of that guarantee
 * @param extra further named metrics, e.g. {@code holdout_accuracy}
 */
public record AdapterMetrics(
        Double trainLoss,
        Double holdoutLoss,
        @PositiveOrZero Integer clients,
        @PositiveOrZero Long examples,
        @PositiveOrZero Double epsilon,
        @PositiveOrZero Double delta,
        @Size(max = 100) Map<@NotNull @Pattern(regexp = "[A-Za-z0-9_.]{1,64}") String, @NotNull Double> extra) {

    public AdapterMetrics {
        extra = extra == null ? Map.of() : java.util.Collections.unmodifiableMap(new TreeMap<>(extra));
    }

    /** No metrics at all. */
    public static AdapterMetrics empty() {
        return new AdapterMetrics(null, null, null, null, null, null, null);
    }

    /** Every metric by name ({@code train_loss}, {@code holdout_loss}, ..., then the extra ones), nulls left out. */
    @JsonIgnore
    public Map<String, Double> byName() {
        Map<String, Double> all = new java.util.LinkedHashMap<>();
        put(all, "train_loss", trainLoss);
        put(all, "holdout_loss", holdoutLoss);
        put(all, "clients", clients == null ? null : clients.doubleValue());
        put(all, "examples", examples == null ? null : examples.doubleValue());
        put(all, "epsilon", epsilon);
        put(all, "delta", delta);
        all.putAll(extra);
        return all;
    }

    private static void put(Map<String, Double> all, String name, Double value) {
        if (value != null) {
            all.put(name, value);
        }
    }

    @JsonIgnore
    @AssertTrue(message = "metrics must be finite numbers")
    public boolean isFinite() {
        return byName().values().stream().allMatch(Double::isFinite);
    }
}
