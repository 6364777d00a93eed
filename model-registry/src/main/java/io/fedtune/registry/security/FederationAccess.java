package io.fedtune.registry.security;

import io.fedtune.boot.security.FedtunePrincipal;
import io.fedtune.registry.system.RegistryException;
import java.util.UUID;
import org.springframework.security.core.Authentication;
import org.springframework.stereotype.Component;

/**
 * Decides per federation what a caller may read: admins, viewers and the aggregator everything, an agent only the
 * federations its token names. Checked before anything is looked up, so a refusal never reveals whether a
 * federation exists.
 */
@Component
public class FederationAccess {

    /** Refuses with 403 unless the caller may read the federation's adapters. */
    public FedtunePrincipal requireRead(Authentication authentication, UUID federationId) {
        FedtunePrincipal principal = FedtunePrincipal.from(authentication);
        if (!principal.mayRead(federationId.toString())) {
            throw RegistryException.forbidden("This token does not grant access to federation " + federationId);
        }
        return principal;
    }

    /** Whether the caller may read the federation's adapters. */
    public boolean mayRead(Authentication authentication, UUID federationId) {
        return FedtunePrincipal.from(authentication).mayRead(federationId.toString());
    }
}
