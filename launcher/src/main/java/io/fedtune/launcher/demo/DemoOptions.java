package io.fedtune.launcher.demo;

import java.nio.file.Path;

/**
 * What {@code fedtune demo} was asked to do.
 *
 * @param home where the platform, the data and the adapters go
 * @param model a Hugging Face checkpoint directory, or null to generate a tiny one
 * @param data a directory of JSON Lines files, one per client, or null to generate non-IID corpora
 * @param summary where to write the JSON summary, or null
 * @param clients how many clients to generate data for (ignored with {@code data})
 * @param examplesPerClient examples generated per client (ignored with {@code data})
 * @param plan the federation and its baselines
 * @param verbose whether the services log at INFO (otherwise only errors)
 */
record DemoOptions(
        Path home,
        Path model,
        Path data,
        Path summary,
        int clients,
        int examplesPerClient,
        DemoPlan plan,
        boolean verbose) {}
