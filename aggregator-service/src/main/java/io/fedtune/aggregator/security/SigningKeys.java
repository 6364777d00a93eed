package io.fedtune.aggregator.security;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.RSAKey;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.NoSuchAlgorithmException;
import java.security.interfaces.RSAPrivateKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.InvalidKeySpecException;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.time.Clock;
import java.util.Base64;
import java.util.List;
import java.util.UUID;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;

/**
 * The issuer's RS256 signing key, kept in the database so that every replica signs with the same key and tokens
 * survive restarts. The first replica to need one generates it; an insert guarded by a unique index on the active
 * flag makes concurrent first starts agree on one key.
 */
@Component
public class SigningKeys {

    private final JdbcClient jdbc;
    private final Clock clock;
    private volatile RSAKey active;

    SigningKeys(JdbcClient jdbc, Clock clock) {
        this.jdbc = jdbc;
        this.clock = clock;
    }

    /** The key tokens are signed with (created on first use). */
    public RSAKey active() {
        RSAKey key = active;
        if (key == null) {
            synchronized (this) {
                if (active == null) {
                    active = loadOrCreate();
                }
                key = active;
            }
        }
        return key;
    }

    /** The public keys, as {@code /oauth2/jwks} publishes them. */
    public JWKSet publicKeys() {
        return new JWKSet(active().toPublicJWK());
    }

    private RSAKey loadOrCreate() {
        List<RSAKey> existing = load();
        if (!existing.isEmpty()) {
            return existing.get(0);
        }
        KeyPair pair = generate();
        jdbc.sql("INSERT INTO signing_key (kid, algorithm, private_key, public_key, created_at, active)"
                        + " VALUES (?, 'RS256', ?, ?, ?, TRUE) ON CONFLICT DO NOTHING")
                .params(
                        UUID.randomUUID().toString(),
                        Base64.getEncoder().encodeToString(pair.getPrivate().getEncoded()),
                        Base64.getEncoder().encodeToString(pair.getPublic().getEncoded()),
                        java.sql.Timestamp.from(clock.instant()))
                .update();
        return load().get(0);
    }

    private List<RSAKey> load() {
        return jdbc.sql("SELECT kid, private_key, public_key FROM signing_key WHERE active")
                .query((rs, n) -> {
                    try {
                        KeyFactory factory = KeyFactory.getInstance("RSA");
                        RSAPublicKey publicKey = (RSAPublicKey) factory.generatePublic(
                                new X509EncodedKeySpec(Base64.getDecoder().decode(rs.getString("public_key"))));
                        RSAPrivateKey privateKey = (RSAPrivateKey) factory.generatePrivate(
                                new PKCS8EncodedKeySpec(Base64.getDecoder().decode(rs.getString("private_key"))));
                        return new RSAKey.Builder(publicKey)
                                .privateKey(privateKey)
                                .keyID(rs.getString("kid"))
                                .keyUse(KeyUse.SIGNATURE)
                                .algorithm(JWSAlgorithm.RS256)
                                .build();
                    } catch (NoSuchAlgorithmException | InvalidKeySpecException e) {
                        throw new IllegalStateException("Stored signing key is unreadable", e);
                    }
                })
                .list();
    }

    private static KeyPair generate() {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
            generator.initialize(2048);
            return generator.generateKeyPair();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
