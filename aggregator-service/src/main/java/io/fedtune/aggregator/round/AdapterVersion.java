package io.fedtune.aggregator.round;

import io.fedtune.protocol.api.AdapterView;
import java.time.Instant;
import java.util.UUID;

/**
 * A stored global adapter version.
 *
 * @param federationId its federation
 * @param version its version (0 = initial, r = result of round r)
 * @param roundNumber the round that produced it
 * @param rank its LoRA rank
 * @param blobKey where its bytes are
 * @param stateKey where the server optimizer's state after it is (null when the strategy keeps none)
 * @param sha256 SHA-256 of the bytes
 * @param sizeBytes their length
 * @param registryId the registry's id once registered
 * @param createdAt when it was made
 */
public record AdapterVersion(
        UUID federationId,
        int version,
        int roundNumber,
        int rank,
        String blobKey,
        String stateKey,
        String sha256,
        long sizeBytes,
        String registryId,
        Instant createdAt) {

    /** Where agents download it. */
    public String downloadPath() {
        return "/api/v1/agent/federations/" + federationId + "/adapters/" + version;
    }

    public AdapterView view() {
        return new AdapterView(federationId, version, rank, sha256, sizeBytes, downloadPath(), registryId, createdAt);
    }
}
