package io.fedtune.agent.train;

import io.fedtune.protocol.safetensors.FloatTensor;
import java.util.Map;

/**
 * What local training produced.
 *
 * @param adapter the trained adapter, PEFT-named F32 tensors (every tensor of the global adapter)
 * @param exampleCount local training examples (FedAvg's weight)
 * @param steps optimizer steps taken in total for this task
 * @param tokens tokens trained on
 * @param firstLoss the first step's loss
 * @param finalLoss the last step's loss
 * @param holdoutLoss the local holdout loss after training (NaN without a holdout)
 * @param interrupted whether training stopped early on request (checkpointed; no update to send)
 */
public record LocalTrainingResult(
        Map<String, FloatTensor> adapter,
        long exampleCount,
        int steps,
        long tokens,
        double firstLoss,
        double finalLoss,
        double holdoutLoss,
        boolean interrupted) {}
