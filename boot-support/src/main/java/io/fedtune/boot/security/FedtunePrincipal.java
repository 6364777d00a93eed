package io.fedtune.boot.security;

import java.util.Collection;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.GrantedAuthority;
import org.springframework.security.oauth2.jwt.Jwt;
import org.springframework.security.oauth2.server.resource.authentication.JwtAuthenticationToken;

/**
 * Who is calling, as the services reason about it: a subject, its roles, and (for agents) the federations it
 * belongs to.
 *
 * @param subject the JWT subject: a client id, an admin's name, or a service name
 * @param roles the roles granted by the token
 * @param federations the federation ids an agent belongs to; empty for other roles
 */
public record FedtunePrincipal(String subject, Set<FedtuneRole> roles, Set<String> federations) {

    /** The claim that lists an agent's federations. */
    public static final String FEDERATIONS_CLAIM = "federations";

    public FedtunePrincipal {
        roles = roles.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(roles));
        federations = Set.copyOf(federations);
    }

    /** The principal of an authenticated request; fails for anything but a fedtune JWT authentication. */
    public static FedtunePrincipal from(Authentication authentication) {
        if (!(authentication instanceof JwtAuthenticationToken token)) {
            throw new IllegalArgumentException("Not a JWT authentication: " + authentication);
        }
        return from(token.getToken(), token.getAuthorities());
    }

    static FedtunePrincipal from(Jwt jwt, Collection<? extends GrantedAuthority> authorities) {
        Set<FedtuneRole> roles = authorities.stream()
                .map(GrantedAuthority::getAuthority)
                .filter(authority -> authority.startsWith("ROLE_"))
                .map(authority -> FedtuneRole.parse(authority.substring(5)))
                .flatMap(java.util.Optional::stream)
                .collect(Collectors.toCollection(() -> EnumSet.noneOf(FedtuneRole.class)));
        List<String> federations = jwt.getClaimAsStringList(FEDERATIONS_CLAIM);
        return new FedtunePrincipal(jwt.getSubject(), roles, federations == null ? Set.of() : Set.copyOf(federations));
    }

    public boolean hasRole(FedtuneRole role) {
        return roles.contains(role);
    }

    /** Whether this principal may read what belongs to a federation: admins, viewers and services may; agents only their own. */
    public boolean mayRead(String federationId) {
        return hasRole(FedtuneRole.ADMIN)
                || hasRole(FedtuneRole.VIEWER)
                || hasRole(FedtuneRole.SERVICE)
                || (hasRole(FedtuneRole.AGENT) && federations.contains(federationId));
    }
}
