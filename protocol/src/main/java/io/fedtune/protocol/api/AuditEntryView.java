package io.fedtune.protocol.api;

import java.time.Instant;
import java.util.Map;

/**
 * One admin action from the audit log, {@code GET /api/v1/audit}.
 *
 * @param id its sequence number
 * @param occurredAt when
 * @param actor who (the token's subject)
 * @param action what, e.g. {@code federation.create}
 * @param target on which object
 * @param outcome {@code ok} or the problem type
 * @param detail further facts
 */
public record AuditEntryView(
        long id,
        Instant occurredAt,
        String actor,
        String action,
        String target,
        String outcome,
        Map<String, Object> detail) {}
