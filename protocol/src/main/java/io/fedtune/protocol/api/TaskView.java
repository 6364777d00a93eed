package io.fedtune.protocol.api;

import java.time.Instant;
import java.util.UUID;

/**
 * A training task for one agent in one round, from {@code GET /api/v1/agent/tasks/next}.
 *
 * <p>The agent downloads {@code globalAdapter}, trains from it with {@code training} (in the LoRA mode given:
 * with {@code ffa} only lora_B trains; with {@code stack} a fresh adapter trains on top of the frozen global one;
 * with {@code hetlora} any rank up to {@code peft.rank}), and uploads before {@code deadline} to {@code uploadPath},
 * or reports a failure to {@code failurePath}.
 *
 * @param federationId the federation
 * @param round the round number
 * @param attempt the round's attempt
 * @param globalAdapter the adapter to start from
 * @param peft the adapter's definition
 * @param training local hyper-parameters
 * @param loraMode how the server will aggregate, which fixes what trains
 * @param codec how to encode the update
 * @param deadline when the round stops collecting
 * @param seed the seed for this client's local training in this round
 * @param uploadPath where to {@code PUT} the update
 * @param failurePath where to {@code POST} a {@link FailureReport}
 * @param privacy the federation's privacy settings; with {@code local_dp} the agent clips and noises its delta
 *     before encoding (null from servers that predate it: none)
 */
public record TaskView(
        UUID federationId,
        int round,
        int attempt,
        AdapterView globalAdapter,
        PeftSpec peft,
        TrainingSpec training,
        LoraMode loraMode,
        CodecSpec codec,
        Instant deadline,
        long seed,
        String uploadPath,
        String failurePath,
        PrivacySpec privacy) {

    public TaskView {
        privacy = privacy == null ? PrivacySpec.none() : privacy;
    }

    /** A task without privacy settings (no differential privacy). */
    public TaskView(
            UUID federationId,
            int round,
            int attempt,
            AdapterView globalAdapter,
            PeftSpec peft,
            TrainingSpec training,
            LoraMode loraMode,
            CodecSpec codec,
            Instant deadline,
            long seed,
            String uploadPath,
            String failurePath) {
        this(
                federationId,
                round,
                attempt,
                globalAdapter,
                peft,
                training,
                loraMode,
                codec,
                deadline,
                seed,
                uploadPath,
                failurePath,
                PrivacySpec.none());
    }
}
