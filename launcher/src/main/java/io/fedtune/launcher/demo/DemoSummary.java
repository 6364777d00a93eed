package io.fedtune.launcher.demo;

import java.util.List;

/**
 * What a demo run measured; {@code --summary FILE} writes it as JSON.
 *
 * @param federationId the federation the demo ran
 * @param strategy the aggregation strategy's name
 * @param clients the data owners
 * @param unionHoldoutExamples examples in the union holdout every adapter is scored on
 * @param initialHoldoutLoss the union holdout loss of the initial adapter (version 0, the base model's own)
 * @param rounds one row per completed round
 * @param localOnly each client's adapter trained on its own data only, the same number of steps
 * @param federated the final global adapter
 * @param federatedBeatsEveryLocalOnly whether the federated adapter's holdout loss is below every local-only one
 * @param elapsedSeconds wall-clock time of the whole run
 */
record DemoSummary(
        String federationId,
        String strategy,
        List<Client> clients,
        int unionHoldoutExamples,
        double initialHoldoutLoss,
        List<Round> rounds,
        List<LocalOnly> localOnly,
        Federated federated,
        boolean federatedBeatsEveryLocalOnly,
        double elapsedSeconds) {

    /** A data owner: its name, what its data is, how many examples it trains on and holds out. */
    record Client(String name, String description, int trainExamples, int holdoutExamples) {}

    /**
     * One completed round.
     *
     * @param round its number (1-based)
     * @param clients updates aggregated
     * @param meanTrainLoss the example-weighted mean of the clients' final training losses, or null if unreported
     * @param globalHoldoutLoss the new global adapter's loss on the union holdout
     * @param bytesUp update bytes the clients uploaded
     * @param bytesDown global adapter bytes the sampled clients downloaded
     * @param durationMillis from the round's opening to its close
     * @param adapterVersion the global adapter version it produced
     */
    record Round(
            int round,
            int clients,
            Double meanTrainLoss,
            double globalHoldoutLoss,
            long bytesUp,
            long bytesDown,
            long durationMillis,
            int adapterVersion) {}

    /**
     * A client's local-only adapter: trained {@code steps} steps on its own data, scored on the union holdout; when
     * its training diverged, {@code holdoutLoss} is null and {@code failure} says why.
     */
    record LocalOnly(String client, int steps, Double holdoutLoss, String failure) {}

    /** The final global adapter: its version, union holdout loss, and where its PEFT directory was written. */
    record Federated(int adapterVersion, double holdoutLoss, String adapterDirectory) {}
}
