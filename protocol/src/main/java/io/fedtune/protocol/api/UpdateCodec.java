package io.fedtune.protocol.api;

import com.fasterxml.jackson.annotation.JsonProperty;

/** How an update's values are encoded in its safetensors body. */
public enum UpdateCodec {
    /** Full-precision F32 tensors: the adapter itself. */
    @JsonProperty("f32")
    F32,
    /** F16 tensors: the adapter, halved in size. */
    @JsonProperty("f16")
    F16,
    /** Int8 with a per-tensor scale: the adapter in a quarter of the size. */
    @JsonProperty("int8")
    INT8,
    /** The largest-magnitude fraction of the delta to the global adapter, as indices and values. */
    @JsonProperty("topk")
    TOPK
}
