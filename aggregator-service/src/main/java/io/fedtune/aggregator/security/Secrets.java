package io.fedtune.aggregator.security;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;

/**
 * Generation and hashing of the service's secrets. Generated secrets carry 256 random bits, so a single SHA-256 is a
 * sufficient (and indexable) hash for them; the bootstrap admin secret, which a human may choose, is hashed with
 * BCrypt instead.
 */
public final class Secrets {

    private static final SecureRandom random = new SecureRandom();

    private Secrets() {}

    /** A new URL-safe secret with 256 random bits, prefixed so a leaked one is recognisable. */
    public static String generate(String prefix) {
        byte[] bytes = new byte[32];
        random.nextBytes(bytes);
        return prefix + Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    /** SHA-256 of a generated secret, hex. */
    public static String hash(String secret) {
        try {
            return HexFormat.of()
                    .formatHex(MessageDigest.getInstance("SHA-256").digest(secret.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Compares a secret with a stored SHA-256 hash in constant time. */
    public static boolean matches(String secret, String storedHash) {
        return storedHash != null
                && MessageDigest.isEqual(
                        hash(secret).getBytes(StandardCharsets.US_ASCII),
                        storedHash.getBytes(StandardCharsets.US_ASCII));
    }
}
