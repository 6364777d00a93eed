package io.fedtune.protocol.api;

import jakarta.validation.constraints.DecimalMax;
import jakarta.validation.constraints.DecimalMin;
import jakarta.validation.constraints.NotNull;

/**
 * Wire encoding of updates. The global adapter always travels as F32 safetensors.
 *
 * @param upload how agents encode their updates
 * @param topkFraction with topk: the share of delta coordinates kept (0 &lt; k ≤ 1)
 */
public record CodecSpec(
        @NotNull UpdateCodec upload,
        @DecimalMin("0") @DecimalMax("1") double topkFraction) {

    /** F32 uploads. */
    public static CodecSpec defaults() {
        return new CodecSpec(UpdateCodec.F32, 0);
    }
}
