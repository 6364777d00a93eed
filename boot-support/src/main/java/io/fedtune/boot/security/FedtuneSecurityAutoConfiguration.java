package io.fedtune.boot.security;

import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.security.config.Customizer;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.config.http.SessionCreationPolicy;
import org.springframework.security.config.web.server.ServerHttpSecurity;
import org.springframework.security.oauth2.jwt.JwtDecoder;
import org.springframework.security.oauth2.jwt.ReactiveJwtDecoder;
import org.springframework.security.oauth2.server.resource.authentication.JwtAuthenticationConverter;
import org.springframework.security.oauth2.server.resource.authentication.ReactiveJwtAuthenticationConverterAdapter;
import org.springframework.security.web.SecurityFilterChain;
import org.springframework.security.web.server.SecurityWebFilterChain;

/**
 * Every service validates JWTs itself with the same rules: the platform issuer (the aggregator's JWKS) and,
 * when configured, one external OIDC issuer; audience {@code fedtune}; roles as {@code ROLE_<role>}. A service
 * may replace any bean (the aggregator validates its own tokens with its own key).
 *
 * <p>A service without a security filter chain of its own gets the default one: probes, metrics and API docs open,
 * everything else needs a valid token, 401 and 403 as ProblemDetail. Services with finer rules declare their own
 * chain and use {@link ServletSecurityProblems} or {@link ReactiveSecurityProblems} for the same error bodies.
 */
@AutoConfiguration(
        beforeName = {
            "org.springframework.boot.security.oauth2.server.resource.autoconfigure.servlet.OAuth2ResourceServerAutoConfiguration",
            "org.springframework.boot.security.oauth2.server.resource.autoconfigure.reactive.ReactiveOAuth2ResourceServerAutoConfiguration",
            "org.springframework.boot.security.autoconfigure.web.servlet.ServletWebSecurityAutoConfiguration",
            "org.springframework.boot.security.autoconfigure.actuate.web.servlet.ManagementWebSecurityAutoConfiguration",
            "org.springframework.boot.security.autoconfigure.web.reactive.ReactiveWebSecurityAutoConfiguration",
            "org.springframework.boot.security.autoconfigure.actuate.web.reactive.ReactiveManagementWebSecurityAutoConfiguration"
        })
@ConditionalOnClass(JwtDecoder.class)
@EnableConfigurationProperties(FedtuneSecurityProperties.class)
public class FedtuneSecurityAutoConfiguration {

    /** Paths open without a token: probes and metrics (for Kubernetes and Prometheus) and the API documentation. */
    public static final String[] OPEN_PATHS = {
        // the actuator endpoints the services expose, named one by one: exposing another one (env, heapdump,
        // loggers) must not make it public
        "/actuator/health",
        "/actuator/health/**",
        "/actuator/info",
        "/actuator/prometheus",
        "/v3/api-docs/**",
        "/swagger-ui/**",
        "/swagger-ui.html",
        "/webjars/**",
        "/error"
    };

    @Bean
    @ConditionalOnMissingBean
    JwtAuthenticationConverter fedtuneJwtAuthenticationConverter(FedtuneSecurityProperties properties) {
        return FedtuneAuthoritiesConverter.authenticationConverter(properties);
    }

    @Configuration(proxyBeanMethods = false)
    @ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
    @ConditionalOnClass(HttpSecurity.class)
    static class Servlet {

        @Bean
        @ConditionalOnMissingBean
        JwtDecoder fedtuneJwtDecoder(FedtuneSecurityProperties properties) {
            return FedtuneJwtDecoders.servlet(properties);
        }

        @Bean
        @ConditionalOnMissingBean(SecurityFilterChain.class)
        SecurityFilterChain fedtuneDefaultSecurityFilterChain(HttpSecurity http) throws Exception {
            http.csrf(csrf -> csrf.disable())
                    .sessionManagement(session -> session.sessionCreationPolicy(SessionCreationPolicy.STATELESS))
                    .authorizeHttpRequests(requests -> requests.requestMatchers(OPEN_PATHS)
                            .permitAll()
                            .anyRequest()
                            .authenticated())
                    .oauth2ResourceServer(server -> server.jwt(Customizer.withDefaults())
                            .authenticationEntryPoint(ServletSecurityProblems.entryPoint())
                            .accessDeniedHandler(ServletSecurityProblems.accessDenied()))
                    .exceptionHandling(
                            handling -> handling.authenticationEntryPoint(ServletSecurityProblems.entryPoint())
                                    .accessDeniedHandler(ServletSecurityProblems.accessDenied()));
            return http.build();
        }
    }

    @Configuration(proxyBeanMethods = false)
    @ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.REACTIVE)
    @ConditionalOnClass({ReactiveJwtDecoder.class, ServerHttpSecurity.class})
    static class Reactive {

        @Bean
        @ConditionalOnMissingBean
        ReactiveJwtDecoder fedtuneReactiveJwtDecoder(FedtuneSecurityProperties properties) {
            return FedtuneJwtDecoders.reactive(properties);
        }

        @Bean
        @ConditionalOnMissingBean(SecurityWebFilterChain.class)
        SecurityWebFilterChain fedtuneDefaultSecurityWebFilterChain(
                ServerHttpSecurity http, JwtAuthenticationConverter converter) {
            return http.csrf(csrf -> csrf.disable())
                    .authorizeExchange(exchanges -> exchanges
                            .pathMatchers(OPEN_PATHS)
                            .permitAll()
                            .anyExchange()
                            .authenticated())
                    .oauth2ResourceServer(server -> server.jwt(jwt -> jwt.jwtAuthenticationConverter(
                                    new ReactiveJwtAuthenticationConverterAdapter(converter)))
                            .authenticationEntryPoint(ReactiveSecurityProblems.entryPoint())
                            .accessDeniedHandler(ReactiveSecurityProblems.accessDenied()))
                    .exceptionHandling(
                            handling -> handling.authenticationEntryPoint(ReactiveSecurityProblems.entryPoint())
                                    .accessDeniedHandler(ReactiveSecurityProblems.accessDenied()))
                    .build();
        }
    }
}
