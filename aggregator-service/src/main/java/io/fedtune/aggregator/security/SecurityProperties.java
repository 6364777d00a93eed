package io.fedtune.aggregator.security;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Token issuing, under {@code fedtune.security} beside the shared validation settings of
 * {@code io.fedtune.boot.security.FedtuneSecurityProperties} (issuer, audience, OIDC), which this reads too.
 *
 * @param issuerUri this service's issuer URI, the {@code iss} of every token it signs
 * @param audience the audience every token carries and every service requires
 * @param agentTokenTtl lifetime of AGENT tokens
 * @param adminTokenTtl lifetime of tokens minted for the bootstrap admin
 * @param serviceTokenTtl lifetime of the aggregator's own SERVICE tokens
 * @param oidc an external OpenID Connect issuer for human admins
 * @param bootstrapAdmin the bootstrap admin credential
 */
@ConfigurationProperties("fedtune.security")
public record SecurityProperties(
        String issuerUri,
        String audience,
        Duration agentTokenTtl,
        Duration adminTokenTtl,
        Duration serviceTokenTtl,
        Oidc oidc,
        BootstrapAdmin bootstrapAdmin) {

    public SecurityProperties {
        issuerUri = issuerUri == null || issuerUri.isBlank() ? "http://localhost:8081" : issuerUri;
        audience = audience == null || audience.isBlank() ? "fedtune" : audience;
        agentTokenTtl = agentTokenTtl == null ? Duration.ofMinutes(15) : agentTokenTtl;
        adminTokenTtl = adminTokenTtl == null ? Duration.ofHours(1) : adminTokenTtl;
        serviceTokenTtl = serviceTokenTtl == null ? Duration.ofMinutes(5) : serviceTokenTtl;
        oidc = oidc == null ? new Oidc(null, null) : oidc;
        bootstrapAdmin = bootstrapAdmin == null ? new BootstrapAdmin(null) : bootstrapAdmin;
    }

    /**
     * An external OIDC issuer whose tokens admins and viewers bring.
     *
     * @param issuerUri its issuer URI (discovery at {@code /.well-known/openid-configuration}); empty: none
     * @param rolesClaim the claim holding the roles ({@code ADMIN}, {@code VIEWER})
     */
    public record Oidc(String issuerUri, String rolesClaim) {
        public Oidc {
            rolesClaim = rolesClaim == null || rolesClaim.isBlank() ? "roles" : rolesClaim;
        }

        public boolean configured() {
            return issuerUri != null && !issuerUri.isBlank();
        }
    }

    /**
     * The bootstrap admin, used when no OIDC issuer is configured.
     *
     * @param secret the secret; when empty, one is generated at first start and printed once
     */
    public record BootstrapAdmin(String secret) {}
}
