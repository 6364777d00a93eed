package io.fedtune.protocol.api;

import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.Size;

/**
 * An agent enrolling: {@code POST /api/v1/agent/enroll} (no bearer token; the enrollment token is the credential).
 *
 * @param token the enrollment token an admin handed out
 * @param name a name for this client, unique within the federation (letters, digits, dot, dash, underscore)
 * @param agentVersion the agent's version, for the admin's view
 */
public record EnrollmentRequest(
        @NotBlank @Size(max = 200) String token,

        @NotBlank @Size(max = 100) @Pattern(regexp = "[A-Za-z0-9][A-Za-z0-9._-]*")
        String name,

        @Size(max = 100) String agentVersion) {}
