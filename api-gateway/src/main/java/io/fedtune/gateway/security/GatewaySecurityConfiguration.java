package io.fedtune.gateway.security;

import io.fedtune.boot.security.ReactiveSecurityProblems;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.HttpMethod;
import org.springframework.security.config.web.server.ServerHttpSecurity;
import org.springframework.security.core.Authentication;
import org.springframework.security.oauth2.server.resource.authentication.JwtAuthenticationConverter;
import org.springframework.security.oauth2.server.resource.authentication.ReactiveJwtAuthenticationConverterAdapter;
import org.springframework.security.oauth2.server.resource.web.server.authentication.ServerBearerTokenAuthenticationConverter;
import org.springframework.security.web.server.SecurityWebFilterChain;
import org.springframework.security.web.server.authentication.ServerAuthenticationConverter;
import org.springframework.security.web.server.util.matcher.OrServerWebExchangeMatcher;
import org.springframework.security.web.server.util.matcher.ServerWebExchangeMatcher;
import org.springframework.security.web.server.util.matcher.ServerWebExchangeMatchers;
import reactor.core.publisher.Mono;

/**
 * The gateway's own access rules, checked before a request reaches a service (which checks again): tokens are
 * validated here with the platform's decoder, and each path prefix admits only the roles that may use it. An agent
 * token reaches only the federations it names. Expired, forged and foreign tokens never leave the gateway.
 *
 * <p>The table, first match wins:
 *
 * <ul>
 *   <li>open: health probes, metrics, API docs and Swagger UI, the token endpoint, JWKS, discovery, enrollment
 *   <li>{@code /api/v1/agent/federations/{id}/adapters/**} read: ADMIN, VIEWER, SERVICE, or an AGENT of {@code id}
 *   <li>{@code /api/v1/agent/federations/{id}/**}: an AGENT of {@code id}
 *   <li>{@code /api/v1/agent/**}: AGENT
 *   <li>{@code /api/v1/federations/**}, {@code /api/v1/audit/**}: read ADMIN or VIEWER, change ADMIN
 *   <li>{@code /api/v1/adapters/{id}/**} read (adapters are filed by federation): ADMIN, VIEWER, SERVICE, or an
 *       AGENT of {@code id}
 *   <li>{@code /api/v1/models/**} read: any role
 *   <li>{@code /api/v1/models/**}, {@code /api/v1/adapters/**} change: ADMIN or SERVICE
 *   <li>anything else: a valid token (and then, mostly, 404)
 * </ul>
 *
 * <p>On the open paths a bearer token is not even read, so an expired or forged one does not turn an open endpoint
 * into a 401: each answers by its own rules whoever calls.
 */
@Configuration(proxyBeanMethods = false)
class GatewaySecurityConfiguration {

    static final String[] OPEN_PATHS = {
        "/actuator/health",
        "/actuator/health/**",
        "/actuator/prometheus",
        "/actuator/info",
        "/v3/api-docs",
        "/v3/api-docs/**",
        "/swagger-ui.html",
        "/swagger-ui/**",
        "/webjars/**",
        "/openapi/**",
        "/oauth2/jwks",
        "/.well-known/**"
    };

    /** Open to POST: the token endpoint and enrollment, whose credentials are in the request itself. */
    static final String[] OPEN_POSTS = {"/oauth2/token", "/api/v1/agent/enroll"};

    @Bean
    SecurityWebFilterChain gatewaySecurity(ServerHttpSecurity http, JwtAuthenticationConverter converter) {
        return http.csrf(ServerHttpSecurity.CsrfSpec::disable)
                .httpBasic(ServerHttpSecurity.HttpBasicSpec::disable)
                .formLogin(ServerHttpSecurity.FormLoginSpec::disable)
                .logout(ServerHttpSecurity.LogoutSpec::disable)
                .requestCache(cache -> cache.requestCache(
                        org.springframework.security.web.server.savedrequest.NoOpServerRequestCache.getInstance()))
                .securityContextRepository(
                        org.springframework.security.web.server.context.NoOpServerSecurityContextRepository
                                .getInstance())
                .authorizeExchange(exchanges -> exchanges
                        .pathMatchers(OPEN_PATHS)
                        .permitAll()
                        .pathMatchers(HttpMethod.POST, OPEN_POSTS)
                        .permitAll()
                        .pathMatchers(HttpMethod.GET, "/api/v1/agent/federations/{federation}/adapters/**")
                        .access(FederationAccess.memberOrReader())
                        .pathMatchers(HttpMethod.HEAD, "/api/v1/agent/federations/{federation}/adapters/**")
                        .access(FederationAccess.memberOrReader())
                        .pathMatchers(
                                "/api/v1/agent/federations/{federation}/**", "/api/v1/agent/federations/{federation}")
                        .access(FederationAccess.member())
                        .pathMatchers("/api/v1/agent/**")
                        .hasRole("AGENT")
                        .pathMatchers(HttpMethod.GET, "/api/v1/federations/**", "/api/v1/audit/**")
                        .hasAnyRole("ADMIN", "VIEWER")
                        .pathMatchers(HttpMethod.HEAD, "/api/v1/federations/**", "/api/v1/audit/**")
                        .hasAnyRole("ADMIN", "VIEWER")
                        .pathMatchers("/api/v1/federations/**", "/api/v1/audit/**")
                        .hasRole("ADMIN")
                        .pathMatchers(
                                HttpMethod.GET, "/api/v1/adapters/{federation}", "/api/v1/adapters/{federation}/**")
                        .access(FederationAccess.memberOrReader())
                        .pathMatchers(
                                HttpMethod.HEAD, "/api/v1/adapters/{federation}", "/api/v1/adapters/{federation}/**")
                        .access(FederationAccess.memberOrReader())
                        .pathMatchers(HttpMethod.GET, "/api/v1/adapters")
                        .hasAnyRole("ADMIN", "VIEWER", "SERVICE")
                        .pathMatchers(HttpMethod.GET, "/api/v1/models", "/api/v1/models/**")
                        .hasAnyRole("ADMIN", "VIEWER", "SERVICE", "AGENT")
                        .pathMatchers(HttpMethod.HEAD, "/api/v1/models", "/api/v1/models/**")
                        .hasAnyRole("ADMIN", "VIEWER", "SERVICE", "AGENT")
                        .pathMatchers("/api/v1/models/**", "/api/v1/adapters/**")
                        .hasAnyRole("ADMIN", "SERVICE")
                        .anyExchange()
                        .authenticated())
                .oauth2ResourceServer(server -> server.bearerTokenConverter(bearerTokenOutsideOpenPaths())
                        .jwt(jwt -> jwt.jwtAuthenticationConverter(
                                new ReactiveJwtAuthenticationConverterAdapter(converter)))
                        .authenticationEntryPoint(ReactiveSecurityProblems.entryPoint())
                        .accessDeniedHandler(ReactiveSecurityProblems.accessDenied()))
                .exceptionHandling(handling -> handling.authenticationEntryPoint(ReactiveSecurityProblems.entryPoint())
                        .accessDeniedHandler(ReactiveSecurityProblems.accessDenied()))
                .build();
    }

    /** Reads the bearer token of a request, except on the open paths, where there is none to check. */
    static ServerAuthenticationConverter bearerTokenOutsideOpenPaths() {
        ServerWebExchangeMatcher open = new OrServerWebExchangeMatcher(
                ServerWebExchangeMatchers.pathMatchers(OPEN_PATHS),
                ServerWebExchangeMatchers.pathMatchers(HttpMethod.POST, OPEN_POSTS));
        ServerBearerTokenAuthenticationConverter bearer = new ServerBearerTokenAuthenticationConverter();
        return exchange -> open.matches(exchange)
                .flatMap(match -> match.isMatch() ? Mono.<Authentication>empty() : bearer.convert(exchange));
    }
}
