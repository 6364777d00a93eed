package io.fedtune.registry.blob;

import java.util.List;
import java.util.UUID;

/**
 * How the registry names its blobs. Every upload gets a fresh key, so a refused or repeated upload never touches
 * stored content; a row of the database references each kept blob, and any blob under these prefixes that no row
 * references is an orphan for retention to remove.
 */
public final class BlobKeyspace {

    /** Adapter versions: {@code adapters/<federation>/<version>-<upload>.safetensors}. */
    public static final String ADAPTERS = "adapters/";

    /** Base model archives: {@code models/<model>/<upload>.archive}. */
    public static final String MODELS = "models/";

    /** Every prefix the registry writes under. */
    public static final List<String> PREFIXES = List.of(ADAPTERS, MODELS);

    private BlobKeyspace() {}

    /** A fresh key for an adapter version's bytes. */
    public static String adapter(UUID federationId, int version) {
        return ADAPTERS + federationId + "/" + version + "-" + UUID.randomUUID() + ".safetensors";
    }

    /** A fresh key for a base model's archive. */
    public static String modelArchive(UUID modelId) {
        return MODELS + modelId + "/" + UUID.randomUUID() + ".archive";
    }
}
