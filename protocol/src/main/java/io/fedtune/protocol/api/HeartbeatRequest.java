package io.fedtune.protocol.api;

import jakarta.validation.constraints.Size;

/**
 * An agent saying it is alive: {@code POST /api/v1/agent/heartbeat}. Live clients are the ones rounds sample.
 *
 * @param agentVersion the agent's version
 * @param state what it is doing, free text (e.g. {@code idle}, {@code training round 3})
 */
public record HeartbeatRequest(
        @Size(max = 100) String agentVersion,
        @Size(max = 200) String state) {}
