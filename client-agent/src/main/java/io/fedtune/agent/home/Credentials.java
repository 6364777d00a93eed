package io.fedtune.agent.home;

import java.net.URI;
import java.time.Instant;
import java.util.Objects;
import java.util.UUID;

/**
 * What enrollment hands an agent once: its OAuth2 client credentials and the federation they belong to. Stored in
 * the agent home with owner-only permissions; the secret never appears in logs or in {@link #toString()}.
 *
 * @param server the base URL the agent talks to (the gateway or the aggregator)
 * @param clientId the OAuth2 client id
 * @param clientSecret the OAuth2 client secret
 * @param federationId the federation the client belongs to
 * @param name the client's name in the federation
 * @param enrolledAt when the agent enrolled
 */
public record Credentials(
        URI server, UUID clientId, String clientSecret, UUID federationId, String name, Instant enrolledAt) {

    public Credentials {
        Objects.requireNonNull(server, "server");
        Objects.requireNonNull(clientId, "clientId");
        Objects.requireNonNull(clientSecret, "clientSecret");
        Objects.requireNonNull(federationId, "federationId");
    }

    @Override
    public String toString() {
        return "Credentials[server=" + server + ", clientId=" + clientId + ", federationId=" + federationId + ", name="
                + name + "]";
    }
}
