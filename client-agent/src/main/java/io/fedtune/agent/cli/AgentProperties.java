package io.fedtune.agent.cli;

import io.fedtune.agent.train.DeviceChoice;
import java.nio.file.Path;
import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * The agent's configuration, {@code fedtune.agent.*}: from {@code HOME/agent.yml} or {@code --config FILE},
 * environment variables ({@code FEDTUNE_AGENT_DATA=...}) or command-line flags, flags winning.
 *
 * @param home the agent home (credentials, checkpoints); default {@code ~/.fedtune-agent}
 * @param data the local JSONL training data
 * @param model the base model's directory (config.json, model.safetensors, tokenizer.json)
 * @param device auto, cpu or gpu
 * @param threads intra-op threads for training (0: the engine's default)
 * @param checkpointEvery checkpoint interval in optimizer steps
 * @param holdoutFraction share of the local examples kept for evaluation
 * @param memoryBudget the most memory the model's F32 weights may take, in bytes (0: 80% of physical memory)
 * @param pollWait how long one task long-poll waits
 * @param heartbeatInterval the longest time between heartbeats
 * @param backoffInitial the first wait after a failed request
 * @param backoffMax the longest wait between retries
 * @param metricsPort the Prometheus endpoint's port; -1 turns it off, 0 picks a free port
 * @param metricsHost the address the Prometheus endpoint listens on
 * @param progress whether to draw a progress bar: auto (on a terminal), always, never
 */
@ConfigurationProperties("fedtune.agent")
public record AgentProperties(
        Path home,
        Path data,
        Path model,
        @DefaultValue("auto") DeviceChoice device,
        @DefaultValue("0") int threads,
        @DefaultValue("10") int checkpointEvery,
        @DefaultValue("0.1") double holdoutFraction,
        @DefaultValue("0") long memoryBudget,
        @DefaultValue("30s") Duration pollWait,
        @DefaultValue("30s") Duration heartbeatInterval,
        @DefaultValue("1s") Duration backoffInitial,
        @DefaultValue("2m") Duration backoffMax,
        @DefaultValue("-1") int metricsPort,
        @DefaultValue("127.0.0.1") String metricsHost,
        @DefaultValue("auto") String progress) {}
