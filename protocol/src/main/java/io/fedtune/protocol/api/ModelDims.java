package io.fedtune.protocol.api;

import com.fasterxml.jackson.annotation.JsonIgnore;
import jakarta.validation.constraints.AssertTrue;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Positive;

/**
 * The base model's dimensions, as in its Hugging Face {@code config.json}, from which the aggregator derives every
 * target module's path and shape without loading the model.
 *
 * @param architecture the module naming scheme
 * @param hiddenSize {@code hidden_size} ({@code n_embd} for GPT-2)
 * @param intermediateSize {@code intermediate_size} (GPT-2: {@code n_inner}, usually 4 × hidden)
 * @param numLayers {@code num_hidden_layers} ({@code n_layer})
 * @param numHeads {@code num_attention_heads} ({@code n_head})
 * @param numKeyValueHeads {@code num_key_value_heads}; null means equal to numHeads
 * @param headDim {@code head_dim}; null means hiddenSize / numHeads
 */
public record ModelDims(
        @NotNull Architecture architecture,
        @Positive @Max(1 << 17) int hiddenSize,
        @Positive @Max(1 << 19) int intermediateSize,
        @Min(1) @Max(1024) int numLayers,
        @Min(1) @Max(1024) int numHeads,
        @Min(1) @Max(1024) Integer numKeyValueHeads,
        @Min(1) @Max(4096) Integer headDim) {

    /** Key/value heads; equals the attention heads unless grouped-query attention is used. */
    public int kvHeads() {
        return numKeyValueHeads == null ? numHeads : numKeyValueHeads;
    }

    /** Width of one attention head. */
    public int headWidth() {
        return headDim == null ? hiddenSize / numHeads : headDim;
    }

    @JsonIgnore
    @AssertTrue(message = "numKeyValueHeads must divide numHeads, and hiddenSize must divide by numHeads")
    public boolean isHeadLayoutConsistent() {
        if (numHeads <= 0) {
            return true;
        }
        boolean kvOk = numKeyValueHeads == null || (numKeyValueHeads > 0 && numHeads % numKeyValueHeads == 0);
        boolean headOk = headDim != null || hiddenSize % numHeads == 0;
        return kvOk && headOk;
    }
}
