package io.fedtune.aggregator.registry;

import java.io.IOException;
import java.io.InputStream;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A registry in memory: used when no {@code fedtune.registry-url} is configured (a lone aggregator) and by tests. It
 * checks the bytes' SHA-256 as the real registry would, and keeps the registrations so tests can inspect them.
 */
public final class InMemoryModelRegistryClient implements ModelRegistryClient {

    private final Map<String, AdapterRegistration> registrations = new ConcurrentHashMap<>();

    @Override
    public String register(AdapterRegistration registration, ContentSource content) throws IOException {
        String id = registration.federationId() + "-v" + registration.version();
        try (InputStream in = new DigestInputStream(content.open(), MessageDigest.getInstance("SHA-256"))) {
            in.transferTo(java.io.OutputStream.nullOutputStream());
            String sha = HexFormat.of()
                    .formatHex(((DigestInputStream) in).getMessageDigest().digest());
            if (!sha.equals(registration.metadata().sha256())) {
                throw new IOException("adapter bytes do not match their SHA-256");
            }
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        registrations.putIfAbsent(id, registration);
        return id;
    }

    /** What was registered so far. */
    public List<AdapterRegistration> registrations() {
        return List.copyOf(registrations.values());
    }
}
