package io.fedtune.protocol.api.registry;

import java.time.Instant;
import java.util.Map;

/**
 * One admin action on the registry, from {@code GET /api/v1/adapters/audit} (ADMIN).
 *
 * @param id its sequence number
 * @param occurredAt when
 * @param actor who (the token's subject, or {@code system} for background retention)
 * @param action what, e.g. {@code model.register}, {@code adapter.register}, {@code adapter.tag}
 * @param target on which object, e.g. {@code federation/<id>/versions/3}
 * @param outcome {@code ok}, or the problem type slug of the refusal
 * @param detail further facts
 */
public record RegistryAuditEntry(
        long id,
        Instant occurredAt,
        String actor,
        String action,
        String target,
        String outcome,
        Map<String, Object> detail) {}
