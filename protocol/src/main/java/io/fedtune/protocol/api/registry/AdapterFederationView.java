package io.fedtune.protocol.api.registry;

import java.time.Instant;
import java.util.Map;
import java.util.UUID;

/**
 * A federation as the registry knows it: created by its first adapter version, it names the base model, the
 * privacy settings and where its versions stand.
 *
 * @param id the federation's id (the aggregator's)
 * @param name its name
 * @param baseModel the base model its adapters apply to
 * @param privacy its privacy settings
 * @param versions how many versions are recorded (pruned ones included)
 * @param latestVersion the newest version, the {@code latest} alias
 * @param tags each tag and the version it is on
 * @param createdAt when its first version was registered
 */
public record AdapterFederationView(
        UUID id,
        String name,
        String baseModel,
        PrivacySettings privacy,
        int versions,
        Integer latestVersion,
        Map<String, Integer> tags,
        Instant createdAt) {}
