package io.fedtune.gateway.security;

import io.fedtune.boot.security.FedtunePrincipal;
import io.fedtune.boot.security.FedtuneRole;
import org.springframework.security.authorization.AuthorizationDecision;
import org.springframework.security.authorization.ReactiveAuthorizationManager;
import org.springframework.security.core.Authentication;
import org.springframework.security.oauth2.server.resource.authentication.JwtAuthenticationToken;
import org.springframework.security.web.server.authorization.AuthorizationContext;

/**
 * Decides on paths that name a federation ({@code {federation}} in the matcher): an agent may reach only the
 * federations its token lists, so one organisation's agent never sees another federation's tasks, updates or
 * adapters, even before the aggregator checks the same.
 */
final class FederationAccess {

    private FederationAccess() {}

    /** An AGENT whose token lists the federation. */
    static ReactiveAuthorizationManager<AuthorizationContext> member() {
        return decide((principal, federation) ->
                principal.hasRole(FedtuneRole.AGENT) && principal.federations().contains(federation));
    }

    /** As {@link #member()}, or any role that reads everything (ADMIN, VIEWER, SERVICE). */
    static ReactiveAuthorizationManager<AuthorizationContext> memberOrReader() {
        return decide((principal, federation) -> principal.hasRole(FedtuneRole.ADMIN)
                || principal.hasRole(FedtuneRole.VIEWER)
                || principal.hasRole(FedtuneRole.SERVICE)
                || (principal.hasRole(FedtuneRole.AGENT)
                        && principal.federations().contains(federation)));
    }

    private static ReactiveAuthorizationManager<AuthorizationContext> decide(Rule rule) {
        return (authentication, context) -> authentication
                .filter(Authentication::isAuthenticated)
                .filter(JwtAuthenticationToken.class::isInstance)
                .map(FedtunePrincipal::from)
                .map(principal -> {
                    Object federation = context.getVariables().get("federation");
                    return new AuthorizationDecision(federation != null && rule.test(principal, federation.toString()));
                })
                .cast(org.springframework.security.authorization.AuthorizationResult.class)
                .defaultIfEmpty(new AuthorizationDecision(false));
    }

    @FunctionalInterface
    private interface Rule {
        boolean test(FedtunePrincipal principal, String federation);
    }
}
