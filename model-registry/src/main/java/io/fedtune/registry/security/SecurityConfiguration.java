package io.fedtune.registry.security;

import io.fedtune.boot.security.FedtuneRole;
import io.fedtune.boot.security.FedtuneSecurityAutoConfiguration;
import io.fedtune.boot.security.ServletSecurityProblems;
import io.fedtune.protocol.api.registry.RegistryApi;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.HttpMethod;
import org.springframework.security.config.Customizer;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.config.http.SessionCreationPolicy;
import org.springframework.security.web.SecurityFilterChain;

/**
 * Who may do what in the registry (DESIGN.md, security model): ADMIN writes models, adapters and tags and reads the
 * audit; SERVICE (the aggregator) registers adapter versions and moves tags; VIEWER reads; AGENT reads models and
 * the adapters of its own federations only (checked per request by {@link FederationAccess}). Probes, metrics and
 * API docs are open.
 */
@Configuration(proxyBeanMethods = false)
class SecurityConfiguration {

    private static final String ADMIN = FedtuneRole.ADMIN.name();
    private static final String VIEWER = FedtuneRole.VIEWER.name();
    private static final String AGENT = FedtuneRole.AGENT.name();
    private static final String SERVICE = FedtuneRole.SERVICE.name();

    @Bean
    SecurityFilterChain registrySecurityFilterChain(HttpSecurity http) throws Exception {
        http.csrf(csrf -> csrf.disable())
                .sessionManagement(session -> session.sessionCreationPolicy(SessionCreationPolicy.STATELESS))
                .authorizeHttpRequests(requests -> requests.requestMatchers(FedtuneSecurityAutoConfiguration.OPEN_PATHS)
                        .permitAll()
                        .requestMatchers(RegistryApi.AUDIT, RegistryApi.RETENTION)
                        .hasRole(ADMIN)
                        .requestMatchers(HttpMethod.GET, RegistryApi.MODELS, RegistryApi.MODELS + "/**")
                        .hasAnyRole(ADMIN, VIEWER, SERVICE, AGENT)
                        .requestMatchers(HttpMethod.HEAD, RegistryApi.MODELS + "/**")
                        .hasAnyRole(ADMIN, VIEWER, SERVICE, AGENT)
                        .requestMatchers(RegistryApi.MODELS, RegistryApi.MODELS + "/**")
                        .hasRole(ADMIN)
                        .requestMatchers(HttpMethod.GET, RegistryApi.ADAPTERS, RegistryApi.ADAPTERS + "/**")
                        .hasAnyRole(ADMIN, VIEWER, SERVICE, AGENT)
                        .requestMatchers(HttpMethod.HEAD, RegistryApi.ADAPTERS + "/**")
                        .hasAnyRole(ADMIN, VIEWER, SERVICE, AGENT)
                        .requestMatchers(RegistryApi.ADAPTERS + "/*/versions", RegistryApi.ADAPTERS + "/*/tags/*")
                        .hasAnyRole(ADMIN, SERVICE)
                        .requestMatchers(RegistryApi.ADAPTERS, RegistryApi.ADAPTERS + "/**")
                        .hasRole(ADMIN)
                        .anyRequest()
                        .authenticated())
                .oauth2ResourceServer(server -> server.jwt(Customizer.withDefaults())
                        .authenticationEntryPoint(ServletSecurityProblems.entryPoint())
                        .accessDeniedHandler(ServletSecurityProblems.accessDenied()))
                .exceptionHandling(handling -> handling.authenticationEntryPoint(ServletSecurityProblems.entryPoint())
                        .accessDeniedHandler(ServletSecurityProblems.accessDenied()));
        return http.build();
    }
}
