package io.fedtune.aggregator.security;

import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.proc.SecurityContext;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.UUID;
import org.springframework.security.oauth2.jose.jws.SignatureAlgorithm;
import org.springframework.security.oauth2.jwt.JwsHeader;
import org.springframework.security.oauth2.jwt.JwtClaimsSet;
import org.springframework.security.oauth2.jwt.JwtEncoderParameters;
import org.springframework.security.oauth2.jwt.NimbusJwtEncoder;
import org.springframework.stereotype.Component;

/**
 * Mints the platform's JWTs (Spring Security's Nimbus encoder, RS256, the key from {@link SigningKeys}) with the
 * agreed claims: {@code iss}, {@code sub}, {@code aud} = [fedtune], {@code iat}, {@code exp}, {@code roles},
 * {@code federations}.
 */
@Component
public class TokenIssuer {

    /** A minted token and its lifetime. */
    public record Token(String value, Duration ttl, List<String> roles) {}

    private final SecurityProperties properties;
    private final Clock clock;
    private final NimbusJwtEncoder encoder;

    TokenIssuer(SigningKeys keys, SecurityProperties properties, Clock clock) {
        this.properties = properties;
        this.clock = clock;
        JWKSource<SecurityContext> source =
                (selector, context) -> selector.select(new com.nimbusds.jose.jwk.JWKSet(keys.active()));
        this.encoder = new NimbusJwtEncoder(source);
    }

    /** A token for an enrolled agent, valid for its federation. */
    public Token agent(UUID clientId, UUID federationId) {
        return mint(
                clientId.toString(), List.of("AGENT"), List.of(federationId.toString()), properties.agentTokenTtl());
    }

    /** A token for the bootstrap admin. */
    public Token admin(String name) {
        return mint(name, List.of("ADMIN"), List.of(), properties.adminTokenTtl());
    }

    /** A token the aggregator uses for itself toward the registry. */
    public Token service() {
        return mint("aggregator", List.of("SERVICE"), List.of(), properties.serviceTokenTtl());
    }

    /** A token with any roles, for tests and tools that need one. */
    public Token mint(String subject, Collection<String> roles, Collection<String> federations, Duration ttl) {
        Instant now = clock.instant();
        JwtClaimsSet claims = JwtClaimsSet.builder()
                .issuer(properties.issuerUri())
                .subject(subject)
                .audience(List.of(properties.audience()))
                .issuedAt(now)
                .notBefore(now)
                .expiresAt(now.plus(ttl))
                .id(UUID.randomUUID().toString())
                .claim("roles", List.copyOf(roles))
                .claim("federations", List.copyOf(federations))
                .build();
        JwsHeader header = JwsHeader.with(SignatureAlgorithm.RS256).build();
        String value = encoder.encode(JwtEncoderParameters.from(header, claims)).getTokenValue();
        return new Token(value, ttl, List.copyOf(roles));
    }
}
