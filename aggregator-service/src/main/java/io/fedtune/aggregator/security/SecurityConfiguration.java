package io.fedtune.aggregator.security;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jwt.JWTParser;
import io.fedtune.aggregator.system.AuditLog;
import io.fedtune.aggregator.system.RefusedAdminActions;
import io.fedtune.boot.security.FedtuneAuthoritiesConverter;
import io.fedtune.boot.security.FedtuneJwtDecoders;
import io.fedtune.boot.security.FedtuneSecurityAutoConfiguration;
import io.fedtune.boot.security.FedtuneSecurityProperties;
import io.fedtune.boot.security.ServletSecurityProblems;
import java.text.ParseException;
import java.time.Clock;
import java.util.Arrays;
import java.util.List;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.HttpMethod;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.config.http.SessionCreationPolicy;
import org.springframework.security.oauth2.core.DelegatingOAuth2TokenValidator;
import org.springframework.security.oauth2.core.OAuth2TokenValidator;
import org.springframework.security.oauth2.jwt.BadJwtException;
import org.springframework.security.oauth2.jwt.Jwt;
import org.springframework.security.oauth2.jwt.JwtClaimNames;
import org.springframework.security.oauth2.jwt.JwtClaimValidator;
import org.springframework.security.oauth2.jwt.JwtDecoder;
import org.springframework.security.oauth2.jwt.JwtIssuerValidator;
import org.springframework.security.oauth2.jwt.JwtTimestampValidator;
import org.springframework.security.oauth2.jwt.NimbusJwtDecoder;
import org.springframework.security.oauth2.server.resource.web.BearerTokenResolver;
import org.springframework.security.oauth2.server.resource.web.DefaultBearerTokenResolver;
import org.springframework.security.web.SecurityFilterChain;
import org.springframework.security.web.access.ExceptionTranslationFilter;
import org.springframework.security.web.servlet.util.matcher.PathPatternRequestMatcher;
import org.springframework.security.web.util.matcher.OrRequestMatcher;
import org.springframework.security.web.util.matcher.RequestMatcher;

/**
 * Who may call what. The aggregator is the platform's issuer, so its own tokens are checked against its own key
 * (no HTTP round trip to itself, and with the injected clock); tokens of the external OIDC issuer go through the
 * shared {@code io.fedtune.boot.security} decoder. Roles become authorities through the shared converter, 401 and
 * 403 are the shared ProblemDetails. Probes, metrics, API docs, the token endpoints, JWKS, discovery and
 * enrollment are open; everything else needs a token with the right role. On the open paths a bearer token is not
 * even read, so an expired or forged one does not turn them into a 401.
 */
@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties(SecurityProperties.class)
class SecurityConfiguration {

    /** The issuer's and enrollment's endpoints: open, their credentials are in the request itself. */
    private static final String[] OPEN_ENDPOINTS = {
        "/oauth2/token", "/oauth2/jwks", "/.well-known/**", "/api/v1/agent/enroll"
    };

    @Bean
    JwtDecoder aggregatorJwtDecoder(SigningKeys keys, FedtuneSecurityProperties shared, Clock clock) {
        String platform = shared.issuerUri().toString();
        Supplier<JwtDecoder> own = memoize(() -> {
            try {
                NimbusJwtDecoder decoder = NimbusJwtDecoder.withPublicKey(
                                keys.active().toRSAPublicKey())
                        .build();
                decoder.setJwtValidator(validator(platform, shared, clock));
                return decoder;
            } catch (JOSEException e) {
                throw new IllegalStateException("The signing key is unusable", e);
            }
        });
        Supplier<JwtDecoder> external = memoize(() -> FedtuneJwtDecoders.servlet(shared));
        return token -> {
            String issuer;
            try {
                issuer = JWTParser.parse(token).getJWTClaimsSet().getIssuer();
            } catch (ParseException e) {
                throw new BadJwtException("Malformed token: " + e.getMessage(), e);
            }
            if (platform.equals(issuer)) {
                return own.get().decode(token);
            }
            if (shared.oidc().enabled()) {
                return external.get().decode(token);
            }
            throw new BadJwtException("The token's issuer is not trusted");
        };
    }

    private static OAuth2TokenValidator<Jwt> validator(String issuer, FedtuneSecurityProperties shared, Clock clock) {
        JwtTimestampValidator timestamps = new JwtTimestampValidator(shared.clockSkew());
        timestamps.setClock(clock);
        return new DelegatingOAuth2TokenValidator<>(
                timestamps,
                new JwtClaimValidator<Object>(JwtClaimNames.EXP, exp -> exp != null),
                new JwtIssuerValidator(issuer),
                new JwtClaimValidator<List<String>>(
                        JwtClaimNames.AUD, aud -> aud != null && aud.contains(shared.audience())));
    }

    @Bean
    SecurityFilterChain aggregatorSecurity(
            HttpSecurity http, JwtDecoder decoder, FedtuneSecurityProperties shared, AuditLog audit) throws Exception {
        http.csrf(csrf -> csrf.disable())
                .addFilterBefore(new RefusedAdminActions(audit), ExceptionTranslationFilter.class)
                .sessionManagement(session -> session.sessionCreationPolicy(SessionCreationPolicy.STATELESS))
                .authorizeHttpRequests(auth -> auth.requestMatchers(FedtuneSecurityAutoConfiguration.OPEN_PATHS)
                        .permitAll()
                        .requestMatchers(OPEN_ENDPOINTS)
                        .permitAll()
                        .requestMatchers("/api/v1/agent/federations/*/adapters/**")
                        .hasAnyRole("AGENT", "ADMIN", "VIEWER", "SERVICE")
                        .requestMatchers("/api/v1/agent/**")
                        .hasRole("AGENT")
                        .requestMatchers(HttpMethod.GET, "/api/v1/federations/**", "/api/v1/audit/**")
                        .hasAnyRole("ADMIN", "VIEWER")
                        .requestMatchers("/api/v1/federations/**", "/api/v1/audit/**")
                        .hasRole("ADMIN")
                        .anyRequest()
                        .authenticated())
                .oauth2ResourceServer(server -> server.bearerTokenResolver(bearerTokenOutsideOpenPaths())
                        .jwt(jwt -> jwt.decoder(decoder)
                                .jwtAuthenticationConverter(
                                        FedtuneAuthoritiesConverter.authenticationConverter(shared)))
                        .authenticationEntryPoint(ServletSecurityProblems.entryPoint())
                        .accessDeniedHandler(ServletSecurityProblems.accessDenied()))
                .exceptionHandling(handling -> handling.authenticationEntryPoint(ServletSecurityProblems.entryPoint())
                        .accessDeniedHandler(ServletSecurityProblems.accessDenied()));
        return http.build();
    }

    /** Reads the bearer token of a request, except on the open paths, where there is none to check. */
    private static BearerTokenResolver bearerTokenOutsideOpenPaths() {
        PathPatternRequestMatcher.Builder paths = PathPatternRequestMatcher.withDefaults();
        RequestMatcher open = new OrRequestMatcher(
                Stream.concat(Arrays.stream(FedtuneSecurityAutoConfiguration.OPEN_PATHS), Arrays.stream(OPEN_ENDPOINTS))
                        .map(paths::matcher)
                        .map(RequestMatcher.class::cast)
                        .toList());
        DefaultBearerTokenResolver bearer = new DefaultBearerTokenResolver();
        return request -> open.matches(request) ? null : bearer.resolve(request);
    }

    private static <T> Supplier<T> memoize(Supplier<T> supplier) {
        return new Supplier<>() {
            private volatile T value;

            @Override
            public synchronized T get() {
                if (value == null) {
                    value = supplier.get();
                }
                return value;
            }
        };
    }
}
