package io.fedtune.agent.train;

import io.fedtune.protocol.api.LoraMode;
import io.fedtune.protocol.api.PeftSpec;
import io.fedtune.protocol.api.TrainingSpec;
import io.fedtune.protocol.safetensors.FloatTensor;
import java.nio.file.Path;
import java.util.Map;
import java.util.UUID;

/**
 * One task's training, as the agent hands it to a {@link LocalTrainer}.
 *
 * @param federationId the federation
 * @param round the round
 * @param peft the adapter's definition
 * @param training the task's hyper-parameters
 * @param loraMode how the server aggregates: with {@code ffa} only lora_B trains and A stays the global one
 * @param seed the task's seed for local training
 * @param globalAdapter the downloaded global adapter, PEFT-named F32 tensors
 * @param dataFile the local JSONL data (never leaves the machine)
 * @param modelDir the base model's directory (config.json, model.safetensors, tokenizer.json)
 * @param checkpointDir where to checkpoint and resume this task
 * @param settings device, threads, checkpoint interval, holdout share
 */
public record LocalTrainingRequest(
        UUID federationId,
        int round,
        PeftSpec peft,
        TrainingSpec training,
        LoraMode loraMode,
        long seed,
        Map<String, FloatTensor> globalAdapter,
        Path dataFile,
        Path modelDir,
        Path checkpointDir,
        TrainerSettings settings) {}
