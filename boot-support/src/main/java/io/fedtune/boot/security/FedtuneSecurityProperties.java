package io.fedtune.boot.security;

import java.net.URI;
import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * How the services validate JWTs: the platform's own issuer (the aggregator) and, optionally, an external OIDC
 * issuer for human admins and viewers.
 *
 * @param issuerUri the platform issuer; tokens' {@code iss} must equal it (default {@code http://localhost:8081})
 * @param jwkSetUri where the platform issuer's keys are; default {@code <issuer-uri>/oauth2/jwks}
 * @param audience the audience every token must carry (default {@code fedtune})
 * @param clockSkew how much clock difference to tolerate on {@code exp} and {@code nbf} (default 30 s)
 * @param oidc the external OIDC issuer, if any
 */
@ConfigurationProperties("fedtune.security")
public record FedtuneSecurityProperties(URI issuerUri, URI jwkSetUri, String audience, Duration clockSkew, Oidc oidc) {

    public FedtuneSecurityProperties {
        issuerUri = issuerUri == null ? URI.create("http://localhost:8081") : issuerUri;
        jwkSetUri = jwkSetUri == null ? URI.create(stripSlash(issuerUri.toString()) + "/oauth2/jwks") : jwkSetUri;
        audience = audience == null || audience.isBlank() ? "fedtune" : audience;
        clockSkew = clockSkew == null ? Duration.ofSeconds(30) : clockSkew;
        oidc = oidc == null ? new Oidc(null, null, null, null) : oidc;
    }

    private static String stripSlash(String uri) {
        return uri.endsWith("/") ? uri.substring(0, uri.length() - 1) : uri;
    }

    /**
     * An external OpenID Connect issuer whose tokens identify admins and viewers.
     *
     * @param issuerUri the issuer; unset means no external issuer is trusted
     * @param jwkSetUri its keys; default discovered from {@code <issuer>/.well-known/openid-configuration}
     * @param rolesClaim the claim listing fedtune roles (default {@code roles}); a dotted path such as
     *     {@code realm_access.roles} reaches into nested objects
     * @param audience the audience its tokens must carry; unset means the platform audience
     */
    public record Oidc(URI issuerUri, URI jwkSetUri, String rolesClaim, String audience) {

        public Oidc {
            rolesClaim = rolesClaim == null || rolesClaim.isBlank() ? "roles" : rolesClaim;
        }

        public boolean enabled() {
            return issuerUri != null;
        }
    }
}
