package io.fedtune.aggregator.registry;

import io.fedtune.protocol.api.registry.AdapterVersionRegistration;
import java.io.IOException;
import java.io.InputStream;
import java.util.UUID;

/**
 * Hands each new global adapter to the model registry. Registration must be idempotent per (federation, version):
 * the aggregator retries until it succeeds, from any replica.
 */
public interface ModelRegistryClient {

    /**
     * Registers one adapter version and uploads its safetensors bytes.
     *
     * @return the registry's id for it
     */
    String register(AdapterRegistration registration, ContentSource content) throws IOException;

    /** Opens the adapter's bytes; may be called more than once (for retries). */
    interface ContentSource {
        InputStream open() throws IOException;
    }

    /**
     * One adapter version for the registry: the federation it belongs to and the registry's own metadata record
     * (version, round, parent version, PEFT config, strategy, privacy, the round's metrics, SHA-256 and size).
     *
     * @param federationId the federation that produced it
     * @param metadata what the registry stores about it
     */
    record AdapterRegistration(UUID federationId, AdapterVersionRegistration metadata) {

        /** The global adapter version. */
        public int version() {
            return metadata.version();
        }
    }
}
