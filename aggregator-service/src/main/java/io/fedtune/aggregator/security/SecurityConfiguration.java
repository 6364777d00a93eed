package io.fedtune.aggregator.security;

import io.fedtune.aggregator.system.AggregatorException;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.HttpMethod;
import org.springframework.http.HttpStatus;
import org.springframework.security.authentication.AuthenticationManager;
import org.springframework.security.authentication.AuthenticationManagerResolver;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.config.http.SessionCreationPolicy;
import org.springframework.security.oauth2.core.DelegatingOAuth2TokenValidator;
import org.springframework.security.oauth2.core.OAuth2Error;
import org.springframework.security.oauth2.core.OAuth2TokenValidator;
import org.springframework.security.oauth2.core.OAuth2TokenValidatorResult;
import org.springframework.security.oauth2.jwt.Jwt;
import org.springframework.security.oauth2.jwt.JwtDecoder;
import org.springframework.security.oauth2.jwt.JwtDecoders;
import org.springframework.security.oauth2.jwt.NimbusJwtDecoder;
import org.springframework.security.oauth2.server.resource.authentication.JwtAuthenticationConverter;
import org.springframework.security.oauth2.server.resource.authentication.JwtAuthenticationProvider;
import org.springframework.security.oauth2.server.resource.authentication.JwtGrantedAuthoritiesConverter;
import org.springframework.security.oauth2.server.resource.authentication.JwtIssuerAuthenticationManagerResolver;
import org.springframework.security.web.SecurityFilterChain;

/**
 * Who may call what. Tokens of this service's own issuer are checked against its own key (no HTTP round trip to
 * itself); tokens of a configured external OIDC issuer against that issuer's JWKS. Roles come from the roles claim as
 * {@code ROLE_<role>} authorities. Health, Prometheus, the token endpoints, JWKS, discovery, enrollment and the API
 * docs are open; the rest needs a token.
 */
@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties(SecurityProperties.class)
class SecurityConfiguration {

    @Bean
    SecurityFilterChain aggregatorSecurity(
            HttpSecurity http, SigningKeys keys, SecurityProperties properties, java.time.Clock clock)
            throws Exception {
        AuthenticationManagerResolver<String> byIssuer = issuerManagers(keys, properties, clock);
        http.csrf(csrf -> csrf.disable())
                .sessionManagement(session -> session.sessionCreationPolicy(SessionCreationPolicy.STATELESS))
                .authorizeHttpRequests(auth -> auth.requestMatchers(
                                "/actuator/health",
                                "/actuator/health/**",
                                "/actuator/prometheus",
                                "/actuator/info",
                                "/oauth2/token",
                                "/oauth2/jwks",
                                "/.well-known/**",
                                "/api/v1/agent/enroll",
                                "/v3/api-docs/**",
                                "/swagger-ui/**",
                                "/swagger-ui.html",
                                "/error")
                        .permitAll()
                        .requestMatchers("/api/v1/agent/federations/*/adapters/**")
                        .hasAnyRole("AGENT", "ADMIN", "VIEWER", "SERVICE")
                        .requestMatchers("/api/v1/agent/**")
                        .hasRole("AGENT")
                        .requestMatchers(HttpMethod.GET, "/api/v1/federations/**", "/api/v1/audit/**")
                        .hasAnyRole("ADMIN", "VIEWER")
                        .requestMatchers("/api/v1/federations/**", "/api/v1/audit/**")
                        .hasRole("ADMIN")
                        // anything else is no endpoint of ours: let it answer 404 as a ProblemDetail
                        .anyRequest()
                        .permitAll())
                .oauth2ResourceServer(oauth -> oauth.authenticationManagerResolver(
                                new JwtIssuerAuthenticationManagerResolver(byIssuer))
                        .authenticationEntryPoint((request, response, e) ->
                                problem(response, HttpStatus.UNAUTHORIZED, "unauthorized", e.getMessage()))
                        .accessDeniedHandler((request, response, e) -> problem(
                                response, HttpStatus.FORBIDDEN, "forbidden", "This token's roles do not allow that.")))
                .exceptionHandling(handling -> handling.authenticationEntryPoint((request, response, e) -> problem(
                                response, HttpStatus.UNAUTHORIZED, "unauthorized", "A bearer token is required."))
                        .accessDeniedHandler((request, response, e) -> problem(
                                response, HttpStatus.FORBIDDEN, "forbidden", "This token's roles do not allow that.")));
        return http.build();
    }

    private static void problem(HttpServletResponse response, HttpStatus status, String type, String detail)
            throws IOException {
        response.setStatus(status.value());
        response.setContentType("application/problem+json");
        if (status == HttpStatus.UNAUTHORIZED) {
            response.setHeader("WWW-Authenticate", "Bearer");
        }
        String body = "{\"type\":\"urn:fedtune:problem:" + type + "\",\"title\":\"" + status.getReasonPhrase()
                + "\",\"status\":" + status.value() + ",\"detail\":\"" + escape(detail) + "\"}";
        response.getWriter().write(body);
    }

    private static String escape(String text) {
        return text == null
                ? ""
                : text.replace("\\", "\\\\").replace("\"", "\\\"").replaceAll("[\\r\\n\\t]", " ");
    }

    private static AuthenticationManagerResolver<String> issuerManagers(
            SigningKeys keys, SecurityProperties properties, java.time.Clock clock) {
        Map<String, AuthenticationManager> managers = new ConcurrentHashMap<>();
        return issuer -> {
            if (properties.issuerUri().equals(issuer)) {
                return managers.computeIfAbsent(issuer, i -> manager(ownDecoder(keys, properties, clock), "roles"));
            }
            if (properties.oidc().configured() && properties.oidc().issuerUri().equals(issuer)) {
                return managers.computeIfAbsent(issuer, i -> {
                    NimbusJwtDecoder decoder = (NimbusJwtDecoder) JwtDecoders.fromIssuerLocation(i);
                    decoder.setJwtValidator(validator(i, properties.audience(), clock));
                    return manager(decoder, properties.oidc().rolesClaim());
                });
            }
            return null;
        };
    }

    private static OAuth2TokenValidator<Jwt> validator(String issuer, String audience, java.time.Clock clock) {
        org.springframework.security.oauth2.jwt.JwtTimestampValidator timestamps =
                new org.springframework.security.oauth2.jwt.JwtTimestampValidator();
        timestamps.setClock(clock);
        return new DelegatingOAuth2TokenValidator<>(
                timestamps, new org.springframework.security.oauth2.jwt.JwtIssuerValidator(issuer), audience(audience));
    }

    private static JwtDecoder ownDecoder(SigningKeys keys, SecurityProperties properties, java.time.Clock clock) {
        try {
            NimbusJwtDecoder decoder = NimbusJwtDecoder.withPublicKey(
                            keys.active().toRSAPublicKey())
                    .build();
            decoder.setJwtValidator(validator(properties.issuerUri(), properties.audience(), clock));
            return decoder;
        } catch (com.nimbusds.jose.JOSEException e) {
            throw new AggregatorException(HttpStatus.INTERNAL_SERVER_ERROR, "signing-key", e.getMessage());
        }
    }

    private static OAuth2TokenValidator<Jwt> audience(String audience) {
        return jwt -> jwt.getAudience() != null && jwt.getAudience().contains(audience)
                ? OAuth2TokenValidatorResult.success()
                : OAuth2TokenValidatorResult.failure(
                        new OAuth2Error("invalid_token", "The token is not for audience " + audience, null));
    }

    private static AuthenticationManager manager(JwtDecoder decoder, String rolesClaim) {
        JwtGrantedAuthoritiesConverter authorities = new JwtGrantedAuthoritiesConverter();
        authorities.setAuthoritiesClaimName(rolesClaim);
        authorities.setAuthorityPrefix("ROLE_");
        JwtAuthenticationConverter converter = new JwtAuthenticationConverter();
        converter.setJwtGrantedAuthoritiesConverter(authorities);
        JwtAuthenticationProvider provider = new JwtAuthenticationProvider(decoder);
        provider.setJwtAuthenticationConverter(converter);
        return provider::authenticate;
    }
}
