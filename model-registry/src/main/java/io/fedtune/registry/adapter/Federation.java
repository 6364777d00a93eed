package io.fedtune.registry.adapter;

import io.fedtune.protocol.api.registry.PrivacySettings;
import java.time.Instant;
import java.util.UUID;

/** A row of {@code federation}: what the registry knows of a federation, from its adapter registrations. */
record Federation(UUID id, String name, String baseModel, PrivacySettings privacy, Instant createdAt) {}
