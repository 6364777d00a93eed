package io.fedtune.protocol.api.registry;

import java.util.List;
import java.util.UUID;

/**
 * Where a version comes from: its ancestors, nearest first, down to the root (the initial adapter).
 *
 * @param federationId the federation
 * @param version the version asked about
 * @param ancestors its parent, its parent's parent, ..., the root; empty for a root
 */
public record AdapterLineage(UUID federationId, int version, List<AdapterVersionView> ancestors) {}
