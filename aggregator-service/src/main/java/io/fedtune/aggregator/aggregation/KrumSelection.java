package io.fedtune.aggregator.aggregation;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/** Krum's scoring (Blanchard et al., NeurIPS 2017): sum of squared distances to the n − f − 2 nearest others. */
final class KrumSelection {

    private KrumSelection() {}

    /**
     * Picks the clients with the lowest scores.
     *
     * @param distances squared pairwise distances
     * @param byzantine f
     * @param select how many to keep (0: n − f)
     */
    static List<Integer> select(double[][] distances, int byzantine, int select) {
        int n = distances.length;
        int neighbours = Math.max(1, n - byzantine - 2);
        double[] scores = new double[n];
        for (int i = 0; i < n; i++) {
            double[] others = new double[n - 1];
            int k = 0;
            for (int j = 0; j < n; j++) {
                if (j != i) {
                    others[k++] = distances[i][j];
                }
            }
            Arrays.sort(others);
            for (int j = 0; j < Math.min(neighbours, others.length); j++) {
                scores[i] += others[j];
            }
        }
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            order.add(i);
        }
        order.sort(Comparator.<Integer>comparingDouble(i -> scores[i]).thenComparing(i -> i));
        int keep = select <= 0 ? Math.max(1, n - byzantine) : Math.min(select, n);
        List<Integer> chosen = new ArrayList<>(order.subList(0, keep));
        chosen.sort(Integer::compare);
        return chosen;
    }
}
