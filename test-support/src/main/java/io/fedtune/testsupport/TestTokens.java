package io.fedtune.testsupport;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.UUID;
import org.springframework.test.context.DynamicPropertyRegistry;

/**
 * A stand-in for the platform's token issuer in tests of services other than the aggregator: it serves a JWKS
 * over real HTTP on loopback and mints RS256 tokens with the platform's claims ({@code roles}, {@code federations},
 * audience {@code fedtune}), including deliberately bad ones (expired, forged, wrong audience).
 */
public final class TestTokens {

    private static TestTokens shared;

    private final RSAKey key;
    private final RSAKey impostor;
    private final String issuerUri;

    private TestTokens(RSAKey key, RSAKey impostor, String issuerUri) {
        this.key = key;
        this.impostor = impostor;
        this.issuerUri = issuerUri;
    }

    /** The issuer of this JVM, started on first use. */
    public static synchronized TestTokens shared() {
        if (shared == null) {
            shared = start();
        }
        return shared;
    }

    /** Points a Spring test context's JWT validation at this issuer. */
    public static void register(DynamicPropertyRegistry registry) {
        registry.add("fedtune.security.issuer-uri", () -> shared().issuerUri());
    }

    private static TestTokens start() {
        try {
            String kid = "test-" + UUID.randomUUID();
            RSAKey key = new RSAKeyGenerator(2048).keyID(kid).generate();
            RSAKey impostor = new RSAKeyGenerator(2048).keyID(kid).generate();
            byte[] jwks = new JWKSet(key.toPublicJWK()).toString().getBytes(StandardCharsets.UTF_8);
            HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
            server.createContext("/oauth2/jwks", exchange -> {
                exchange.getResponseHeaders().set("Content-Type", "application/json");
                exchange.sendResponseHeaders(200, jwks.length);
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(jwks);
                }
            });
            server.setExecutor(null);
            server.start();
            return new TestTokens(
                    key, impostor, "http://127.0.0.1:" + server.getAddress().getPort());
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public String issuerUri() {
        return issuerUri;
    }

    public String admin() {
        return mint("test-admin", List.of("ADMIN"), List.of(), Duration.ofMinutes(10));
    }

    public String viewer() {
        return mint("test-viewer", List.of("VIEWER"), List.of(), Duration.ofMinutes(10));
    }

    public String service() {
        return mint("aggregator", List.of("SERVICE"), List.of(), Duration.ofMinutes(10));
    }

    /** An agent token for the given client and federations. */
    public String agent(String clientId, String... federations) {
        return mint(clientId, List.of("AGENT"), List.of(federations), Duration.ofMinutes(10));
    }

    /** A token that expired an hour ago (beyond any clock skew). */
    public String expiredAdmin() {
        return mint("test-admin", List.of("ADMIN"), List.of(), Duration.ofHours(-1));
    }

    /** A token whose signature is made with another key under the same key id. */
    public String forgedAdmin() {
        return sign(impostor, claims("test-admin", List.of("ADMIN"), List.of(), Duration.ofMinutes(10), "fedtune"));
    }

    /** A well-signed token for another audience. */
    public String adminForAudience(String audience) {
        return sign(key, claims("test-admin", List.of("ADMIN"), List.of(), Duration.ofMinutes(10), audience));
    }

    /** A well-signed token with the platform claims. */
    public String mint(String subject, List<String> roles, List<String> federations, Duration lifetime) {
        return sign(key, claims(subject, roles, federations, lifetime, "fedtune"));
    }

    /** Signs arbitrary claims with the trusted key: for tokens of other shapes or issuers. */
    public String sign(JWTClaimsSet claims) {
        return sign(key, claims);
    }

    private JWTClaimsSet claims(
            String subject, List<String> roles, List<String> federations, Duration lifetime, String audience) {
        Instant now = Instant.now();
        Instant expires = now.plus(lifetime);
        Instant issued = lifetime.isNegative() ? expires.minus(Duration.ofMinutes(10)) : now;
        return new JWTClaimsSet.Builder()
                .issuer(issuerUri)
                .subject(subject)
                .audience(audience)
                .issueTime(Date.from(issued))
                .notBeforeTime(Date.from(issued))
                .expirationTime(Date.from(expires))
                .jwtID(UUID.randomUUID().toString())
                .claim("roles", roles)
                .claim("federations", federations)
                .build();
    }

    private static String sign(RSAKey with, JWTClaimsSet claims) {
        try {
            SignedJWT jwt = new SignedJWT(
                    new JWSHeader.Builder(JWSAlgorithm.RS256)
                            .keyID(with.getKeyID())
                            .build(),
                    claims);
            jwt.sign(new RSASSASigner(with));
            return jwt.serialize();
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
    }
}
