package io.fedtune.launcher.demo;

import java.nio.file.Path;

/**
 * One data owner of the demo: its training examples and its holdout, JSON Lines files in the owner's own directory.
 *
 * @param name the client's name in the federation
 * @param description what its data is
 * @param train its training examples
 * @param holdout its held-out examples (part of the union holdout every adapter is scored on)
 * @param trainExamples lines in {@code train}
 * @param holdoutExamples lines in {@code holdout}
 */
record DemoClient(String name, String description, Path train, Path holdout, int trainExamples, int holdoutExamples) {}
