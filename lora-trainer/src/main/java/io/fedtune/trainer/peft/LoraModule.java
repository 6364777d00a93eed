package io.fedtune.trainer.peft;

import ai.djl.ndarray.NDArray;

/**
 * The live LoRA matrices of one adapted module: {@code y = W·x + scale·B·(A·x)}.
 *
 * @param modulePath the module's path in the base model, such as {@code model.layers.0.self_attn.q_proj}
 * @param a [r, in]
 * @param b [out, r]
 * @param scale alpha/r (or alpha/√r)
 */
public record LoraModule(String modulePath, NDArray a, NDArray b, float scale) {}
