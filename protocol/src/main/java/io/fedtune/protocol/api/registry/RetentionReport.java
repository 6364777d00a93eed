package io.fedtune.protocol.api.registry;

/**
 * What one retention pass did.
 *
 * @param prunedVersions versions whose bytes were removed (their records stay for lineage)
 * @param deletedOrphans blobs that no record referenced (left by a crash), removed
 * @param freedBytes bytes removed in all
 */
public record RetentionReport(int prunedVersions, int deletedOrphans, long freedBytes) {}
