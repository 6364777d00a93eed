package io.fedtune.boot.security;

import com.nimbusds.jwt.JWTParser;
import java.text.ParseException;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Supplier;
import org.springframework.security.oauth2.core.DelegatingOAuth2TokenValidator;
import org.springframework.security.oauth2.core.OAuth2TokenValidator;
import org.springframework.security.oauth2.jwt.BadJwtException;
import org.springframework.security.oauth2.jwt.Jwt;
import org.springframework.security.oauth2.jwt.JwtClaimNames;
import org.springframework.security.oauth2.jwt.JwtClaimValidator;
import org.springframework.security.oauth2.jwt.JwtDecoder;
import org.springframework.security.oauth2.jwt.JwtDecoders;
import org.springframework.security.oauth2.jwt.JwtIssuerValidator;
import org.springframework.security.oauth2.jwt.JwtTimestampValidator;
import org.springframework.security.oauth2.jwt.NimbusJwtDecoder;
import org.springframework.security.oauth2.jwt.NimbusReactiveJwtDecoder;
import org.springframework.security.oauth2.jwt.ReactiveJwtDecoder;
import org.springframework.security.oauth2.jwt.ReactiveJwtDecoders;
import reactor.core.publisher.Mono;

/**
 * JWT decoders that trust exactly the platform issuer and, when configured, one external OIDC issuer. A token is
 * routed by its (unverified) {@code iss} claim to that issuer's keys, then checked for signature, issuer,
 * audience and lifetime; a token from any other issuer is rejected before any key is fetched.
 */
public final class FedtuneJwtDecoders {

    private FedtuneJwtDecoders() {}

    /** A decoder for servlet services. */
    public static JwtDecoder servlet(FedtuneSecurityProperties properties) {
        Map<String, Supplier<JwtDecoder>> byIssuer = byIssuer(
                properties, jwks -> NimbusJwtDecoder.withJwkSetUri(jwks).build(), issuer ->
                        (NimbusJwtDecoder) JwtDecoders.fromIssuerLocation(issuer));
        return token -> {
            Supplier<JwtDecoder> decoder = byIssuer.get(issuerOf(token));
            if (decoder == null) {
                throw new BadJwtException("The token's issuer is not trusted");
            }
            return decoder.get().decode(token);
        };
    }

    /** A decoder for reactive services (the gateway). */
    public static ReactiveJwtDecoder reactive(FedtuneSecurityProperties properties) {
        Map<String, Supplier<ReactiveJwtDecoder>> byIssuer = byIssuer(
                properties, jwks -> NimbusReactiveJwtDecoder.withJwkSetUri(jwks).build(), issuer ->
                        (NimbusReactiveJwtDecoder) ReactiveJwtDecoders.fromIssuerLocation(issuer));
        return token -> {
            Supplier<ReactiveJwtDecoder> decoder;
            try {
                decoder = byIssuer.get(issuerOf(token));
            } catch (BadJwtException e) {
                return Mono.error(e);
            }
            if (decoder == null) {
                return Mono.error(new BadJwtException("The token's issuer is not trusted"));
            }
            return decoder.get().decode(token);
        };
    }

    private static <D> Map<String, Supplier<D>> byIssuer(
            FedtuneSecurityProperties properties, Function<String, D> fromJwks, Function<String, D> fromIssuer) {
        String platform = properties.issuerUri().toString();
        Supplier<D> platformDecoder = memoize(() -> withValidator(
                fromJwks.apply(properties.jwkSetUri().toString()),
                validator(platform, properties.audience(), properties)));
        if (!properties.oidc().enabled()) {
            return Map.of(platform, platformDecoder);
        }
        FedtuneSecurityProperties.Oidc oidc = properties.oidc();
        String external = oidc.issuerUri().toString();
        String audience = oidc.audience() == null ? properties.audience() : oidc.audience();
        Supplier<D> externalDecoder = memoize(() -> withValidator(
                oidc.jwkSetUri() != null ? fromJwks.apply(oidc.jwkSetUri().toString()) : fromIssuer.apply(external),
                validator(external, audience, properties)));
        return Map.of(platform, platformDecoder, external, externalDecoder);
    }

    private static <D> D withValidator(D decoder, OAuth2TokenValidator<Jwt> validator) {
        if (decoder instanceof NimbusJwtDecoder servlet) {
            servlet.setJwtValidator(validator);
        } else if (decoder instanceof NimbusReactiveJwtDecoder reactive) {
            reactive.setJwtValidator(validator);
        }
        return decoder;
    }

    private static OAuth2TokenValidator<Jwt> validator(
            String issuer, String audience, FedtuneSecurityProperties properties) {
        JwtClaimValidator<List<String>> audienceValidator =
                new JwtClaimValidator<>(JwtClaimNames.AUD, aud -> aud != null && aud.contains(audience));
        JwtClaimValidator<Object> expiresValidator = new JwtClaimValidator<>(JwtClaimNames.EXP, exp -> exp != null);
        return new DelegatingOAuth2TokenValidator<>(
                new JwtTimestampValidator(properties.clockSkew()),
                expiresValidator,
                new JwtIssuerValidator(issuer),
                audienceValidator);
    }

    private static String issuerOf(String token) {
        try {
            String issuer = JWTParser.parse(token).getJWTClaimsSet().getIssuer();
            if (issuer == null) {
                throw new BadJwtException("The token has no issuer");
            }
            return issuer;
        } catch (ParseException e) {
            throw new BadJwtException("Malformed token: " + e.getMessage(), e);
        }
    }

    private static <T> Supplier<T> memoize(Supplier<T> supplier) {
        return new Supplier<>() {
            private volatile T value;

            @Override
            public T get() {
                T current = value;
                if (current == null) {
                    synchronized (this) {
                        current = value;
                        if (current == null) {
                            current = supplier.get();
                            value = current;
                        }
                    }
                }
                return current;
            }
        };
    }
}
