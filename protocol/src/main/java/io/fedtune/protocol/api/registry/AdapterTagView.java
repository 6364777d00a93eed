package io.fedtune.protocol.api.registry;

import java.time.Instant;
import java.util.UUID;

/**
 * A tag and the version it is on now.
 *
 * @param tag its name, e.g. {@code production}
 * @param federationId the federation
 * @param version the version it is on
 * @param taggedAt when it was put there
 * @param taggedBy who put it there
 */
public record AdapterTagView(String tag, UUID federationId, int version, Instant taggedAt, String taggedBy) {}
