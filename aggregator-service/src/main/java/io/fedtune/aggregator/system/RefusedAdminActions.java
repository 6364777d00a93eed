package io.fedtune.aggregator.system;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.security.authentication.AnonymousAuthenticationToken;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.context.SecurityContextHolder;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Writes refused admin actions to the audit log: an authenticated caller's write to the admin API ({@code POST},
 * {@code PUT}, {@code DELETE} under {@code /api/v1/federations}) that ends in a 4xx, whether refused by the role
 * checks (403), by validation (400) or by the state machine (409). Unauthenticated calls (401) are not recorded: they
 * have no actor, and recording them would let anyone fill the table. Sits in the security filter chain after
 * authentication and before the exception translation, so it sees the caller and the final status.
 */
public final class RefusedAdminActions extends OncePerRequestFilter {

    private static final Logger log = LoggerFactory.getLogger(RefusedAdminActions.class);

    private static final Pattern FEDERATION_VERB =
            Pattern.compile("/api/v1/federations/[^/]+/(start|pause|resume|cancel)");
    private static final Pattern TOKENS = Pattern.compile("/api/v1/federations/[^/]+/enrollment-tokens(/[^/]+)?");
    private static final Pattern CLIENT_REVOKE = Pattern.compile("/api/v1/federations/[^/]+/clients/[^/]+/revoke");

    private final AuditLog audit;

    public RefusedAdminActions(AuditLog audit) {
        this.audit = audit;
    }

    @Override
    protected boolean shouldNotFilter(HttpServletRequest request) {
        String method = request.getMethod();
        return method.equals("GET")
                || method.equals("HEAD")
                || method.equals("OPTIONS")
                || !request.getRequestURI().startsWith("/api/v1/federations");
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        try {
            chain.doFilter(request, response);
        } finally {
            int status = response.getStatus();
            Authentication caller = SecurityContextHolder.getContext().getAuthentication();
            if (status >= 400
                    && status < 500
                    && status != 401
                    && caller != null
                    && caller.isAuthenticated()
                    && !(caller instanceof AnonymousAuthenticationToken)) {
                try {
                    String path = request.getRequestURI();
                    audit.record(
                            caller.getName(),
                            action(request.getMethod(), path),
                            path,
                            "refused",
                            Map.of("status", status, "method", request.getMethod()));
                } catch (RuntimeException e) {
                    log.warn("Could not audit a refused admin action: {}", e.getMessage());
                }
            }
        }
    }

    /** The action's name as successful ones are recorded ({@code federation.cancel}, ...). */
    static String action(String method, String path) {
        Matcher verb = FEDERATION_VERB.matcher(path);
        if (verb.matches()) {
            return "federation." + verb.group(1);
        }
        Matcher tokens = TOKENS.matcher(path);
        if (tokens.matches()) {
            return tokens.group(1) == null ? "enrollment-token.create" : "enrollment-token.revoke";
        }
        if (CLIENT_REVOKE.matcher(path).matches()) {
            return "client.revoke";
        }
        if (path.equals("/api/v1/federations") && method.equals("POST")) {
            return "federation.create";
        }
        return "http." + method.toLowerCase(java.util.Locale.ROOT);
    }
}
