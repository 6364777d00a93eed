package io.fedtune.aggregator.registry;

import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Map;
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
     * What the registry learns about an adapter version.
     *
     * @param federationId the federation that produced it
     * @param federationName its name
     * @param version the global adapter version (0 = initial)
     * @param round the round that produced it
     * @param baseModel the base model id
     * @param peftMethod {@code lora} or {@code prompt_tuning}
     * @param rank LoRA rank
     * @param alpha LoRA alpha
     * @param targetModules the target module paths
     * @param loraMode the aggregation's LoRA mode
     * @param strategy the aggregation strategy
     * @param parentVersion the version it was aggregated from (null for version 0)
     * @param sha256 SHA-256 of the bytes
     * @param sizeBytes their length
     * @param metrics the round's aggregate metrics
     */
    record AdapterRegistration(
            UUID federationId,
            String federationName,
            int version,
            int round,
            String baseModel,
            String peftMethod,
            int rank,
            double alpha,
            List<String> targetModules,
            String loraMode,
            String strategy,
            Integer parentVersion,
            String sha256,
            long sizeBytes,
            Map<String, Double> metrics) {}
}
