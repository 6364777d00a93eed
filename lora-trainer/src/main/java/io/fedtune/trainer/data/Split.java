package io.fedtune.trainer.data;

import java.util.List;

/** Examples divided into a training part and a held-out part for evaluation. */
public record Split<T>(List<T> train, List<T> holdout) {

    public Split {
        train = List.copyOf(train);
        holdout = List.copyOf(holdout);
    }
}
