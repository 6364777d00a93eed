package io.fedtune.protocol.api.registry;

import java.util.UUID;

/**
 * The paths and headers of the model registry's REST API, so that its clients (the aggregator registering adapters,
 * the agent downloading them, the gateway routing) spell them one way.
 */
public final class RegistryApi {

    /** Base models: {@code GET} lists, {@code POST} registers. */
    public static final String MODELS = "/api/v1/models";

    /** Federations known to the registry, each with its adapter versions. */
    public static final String ADAPTERS = "/api/v1/adapters";

    /** The registry's audit log of admin actions (ADMIN). */
    public static final String AUDIT = ADAPTERS + "/audit";

    /** Runs retention now (ADMIN); it also runs in the background. */
    public static final String RETENTION = ADAPTERS + "/retention";

    /** The multipart part that carries an {@link AdapterVersionRegistration} as JSON; it comes first. */
    public static final String METADATA_PART = "metadata";

    /** The multipart part that carries the adapter's safetensors bytes; it comes second. */
    public static final String ADAPTER_PART = "adapter";

    /** Lower-case hex SHA-256 of a body, sent with uploads and returned with downloads. */
    public static final String SHA256_HEADER = "Fedtune-Sha256";

    /** The alias of a federation's newest version. */
    public static final String LATEST = "latest";

    private RegistryApi() {}

    /** {@code POST} registers a version (multipart), {@code GET} lists them. */
    public static String versions(UUID federationId) {
        return ADAPTERS + "/" + federationId + "/versions";
    }

    /** One version's record. */
    public static String version(UUID federationId, int version) {
        return versions(federationId) + "/" + version;
    }

    /** One version's safetensors bytes: Range, ETag (the SHA-256) and If-Range supported. */
    public static String adapterContent(UUID federationId, int version) {
        return version(federationId, version) + "/adapter.safetensors";
    }

    /** One version exported in Hugging Face PEFT layout. */
    public static String peftExport(UUID federationId, int version) {
        return version(federationId, version) + "/peft.zip";
    }

    /** A base model's record. */
    public static String model(UUID modelId) {
        return MODELS + "/" + modelId;
    }
}
