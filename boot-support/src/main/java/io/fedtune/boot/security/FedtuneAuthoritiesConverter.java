package io.fedtune.boot.security;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import org.springframework.core.convert.converter.Converter;
import org.springframework.security.core.GrantedAuthority;
import org.springframework.security.core.authority.SimpleGrantedAuthority;
import org.springframework.security.oauth2.jwt.Jwt;
import org.springframework.security.oauth2.server.resource.authentication.JwtAuthenticationConverter;

/**
 * Turns a validated JWT's roles into {@code ROLE_<role>} authorities: the {@code roles} claim of platform tokens,
 * or the configured claim of the external OIDC issuer. Role names the platform does not know are ignored.
 */
public final class FedtuneAuthoritiesConverter implements Converter<Jwt, Collection<GrantedAuthority>> {

    /** The claim of platform tokens that lists roles. */
    public static final String ROLES_CLAIM = "roles";

    private final FedtuneSecurityProperties properties;

    public FedtuneAuthoritiesConverter(FedtuneSecurityProperties properties) {
        this.properties = properties;
    }

    /** A Spring Security converter that authenticates with these authorities and the JWT subject as name. */
    public static JwtAuthenticationConverter authenticationConverter(FedtuneSecurityProperties properties) {
        JwtAuthenticationConverter converter = new JwtAuthenticationConverter();
        converter.setJwtGrantedAuthoritiesConverter(new FedtuneAuthoritiesConverter(properties));
        converter.setPrincipalClaimName("sub");
        return converter;
    }

    @Override
    public Collection<GrantedAuthority> convert(Jwt jwt) {
        boolean external = properties.oidc().enabled()
                && jwt.getIssuer() != null
                && properties
                        .oidc()
                        .issuerUri()
                        .toString()
                        .equals(jwt.getIssuer().toString());
        Object claim =
                external ? claimAtPath(jwt.getClaims(), properties.oidc().rolesClaim()) : jwt.getClaim(ROLES_CLAIM);
        List<GrantedAuthority> authorities = new ArrayList<>();
        for (String value : values(claim)) {
            FedtuneRole.parse(value).ifPresent(role -> authorities.add(new SimpleGrantedAuthority(role.authority())));
        }
        return authorities;
    }

    private static Object claimAtPath(Map<String, Object> claims, String path) {
        Object current = claims;
        for (String part : path.split("\\.")) {
            if (!(current instanceof Map<?, ?> map)) {
                return null;
            }
            current = map.get(part);
        }
        return current;
    }

    private static List<String> values(Object claim) {
        if (claim instanceof Collection<?> collection) {
            return collection.stream().map(String::valueOf).toList();
        }
        if (claim instanceof String text) {
            return List.of(text.split("[ ,]+"));
        }
        return List.of();
    }
}
