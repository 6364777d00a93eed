package io.fedtune.protocol.codec;

import io.fedtune.protocol.safetensors.DType;
import io.fedtune.protocol.safetensors.FloatTensor;
import io.fedtune.protocol.safetensors.SafetensorsStreamReader;
import io.fedtune.protocol.safetensors.SafetensorsWriter;
import java.io.IOException;
import java.util.Map;
import java.util.SortedMap;

/**
 * Lossless: every tensor is stored as F32 under its own name, so the body is also a plain PEFT adapter file. Error
 * bound: none, {@code x̂ = x} bit for bit. Decoding also accepts F16 and BF16 tensors (widened exactly), so adapters
 * saved by other tools decode too.
 */
public final class F32Codec implements UpdateCodec {

    /** The codec's wire name. */
    public static final String NAME = "f32";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Map<String, String> parameters() {
        return Map.of();
    }

    @Override
    public SafetensorsWriter encoder(Map<String, FloatTensor> tensors) {
        SafetensorsWriter writer =
                new SafetensorsWriter().metadata(UpdateCodecs.CODEC_KEY, NAME).metadata("format", "pt");
        for (String name : CodecSupport.sortedNames(tensors)) {
            FloatTensor tensor = tensors.get(name);
            CodecSupport.requireFinite(NAME, name, tensor.values());
            writer.add(name, tensor, DType.F32);
        }
        return writer;
    }

    @Override
    public Map<String, FloatTensor> decode(SafetensorsStreamReader reader) throws IOException {
        return CodecSupport.decodeFloats(reader, NAME, DType::isFloatingPoint, "F32 (or F16, BF16)");
    }

    @Override
    public Map<String, FloatTensor> reconstruct(Map<String, FloatTensor> tensors) {
        SortedMap<String, FloatTensor> result = CodecSupport.result();
        for (String name : CodecSupport.sortedNames(tensors)) {
            FloatTensor tensor = tensors.get(name);
            CodecSupport.requireFinite(NAME, name, tensor.values());
            result.put(name, new FloatTensor(tensor.shape(), tensor.values().clone()));
        }
        return CodecSupport.freeze(result);
    }

    @Override
    public String toString() {
        return NAME;
    }
}
