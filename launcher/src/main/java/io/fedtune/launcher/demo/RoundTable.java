package io.fedtune.launcher.demo;

import java.io.PrintWriter;
import java.util.Locale;

/** The demo's table: a row per round as it closes, then the federated adapter against the local-only ones. */
final class RoundTable {

    private static final String FORMAT = "  %5s  %7s  %10s  %12s  %10s  %10s  %8s%n";

    private final PrintWriter out;

    RoundTable(PrintWriter out) {
        this.out = out;
    }

    void header() {
        out.println();
        out.printf(
                Locale.ROOT,
                FORMAT,
                "round",
                "clients",
                "train loss",
                "holdout loss",
                "bytes up",
                "bytes down",
                "time");
        out.printf(
                Locale.ROOT,
                FORMAT,
                "-----",
                "-------",
                "----------",
                "------------",
                "--------",
                "----------",
                "----");
        out.flush();
    }

    /** Round 0: the initial adapter (its B is zero, so this is the base model's own loss). */
    void initial(double holdoutLoss) {
        out.printf(Locale.ROOT, FORMAT, "0", "-", "-", loss(holdoutLoss), "-", "-", "-");
        out.flush();
    }

    void row(DemoSummary.Round round) {
        out.printf(
                Locale.ROOT,
                FORMAT,
                round.round(),
                round.clients(),
                round.meanTrainLoss() == null ? "-" : loss(round.meanTrainLoss()),
                loss(round.globalHoldoutLoss()),
                bytes(round.bytesUp()),
                bytes(round.bytesDown()),
                String.format(Locale.ROOT, "%.1f s", round.durationMillis() / 1000.0));
        out.flush();
    }

    void comparison(DemoSummary summary) {
        out.println();
        out.printf(
                Locale.ROOT,
                "Loss on the union holdout (%d examples, every client's held-out data), lower is better:%n",
                summary.unionHoldoutExamples());
        out.printf(Locale.ROOT, "  %-34s %8s%n", "base model (initial adapter)", loss(summary.initialHoldoutLoss()));
        for (DemoSummary.LocalOnly local : summary.localOnly()) {
            out.printf(
                    Locale.ROOT,
                    "  %-34s %8s%n",
                    "local-only " + local.client(),
                    local.holdoutLoss() == null ? "diverged" : loss(local.holdoutLoss()));
        }
        out.printf(
                Locale.ROOT,
                "  %-34s %8s%n",
                "federated (version " + summary.federated().adapterVersion() + ")",
                loss(summary.federated().holdoutLoss()));
        out.println(
                summary.federatedBeatsEveryLocalOnly()
                        ? "The federated adapter beats every local-only adapter: no client alone covers what they cover together."
                        : "The federated adapter does NOT beat every local-only adapter in this run.");
        out.flush();
    }

    static String loss(double value) {
        return String.format(Locale.ROOT, "%.4f", value);
    }

    static String bytes(long value) {
        if (value < 1024) {
            return value + " B";
        }
        if (value < 1024 * 1024) {
            return String.format(Locale.ROOT, "%.1f KiB", value / 1024.0);
        }
        return String.format(Locale.ROOT, "%.1f MiB", value / (1024.0 * 1024.0));
    }
}
