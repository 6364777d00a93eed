package io.fedtune.protocol.codec;

import io.fedtune.protocol.checksum.ContentDigest;
import io.fedtune.protocol.safetensors.FloatTensor;
import io.fedtune.protocol.safetensors.SafetensorsLimits;
import io.fedtune.protocol.safetensors.SafetensorsStreamReader;
import io.fedtune.protocol.safetensors.SafetensorsWriter;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * How a client's update (a named set of F32 tensors) travels: encoded into a safetensors body, decoded back to F32 by
 * the aggregator. Each implementation states its error bound in its javadoc; {@link #reconstruct(Map)} gives exactly
 * what the receiver will decode, so an agent can keep the {@linkplain #residual(Map) residual} for error feedback.
 *
 * <p>Every encoded body carries {@code fedtune.codec} (the codec's {@link #name()}) in its {@code __metadata__}, so
 * {@link UpdateCodecs#decode(InputStream)} can decode any of them. Encoding rejects NaN and infinities with an
 * {@link UnencodableTensorException}; decoding rejects a malformed or non-finite body with a
 * {@link io.fedtune.protocol.safetensors.SafetensorsFormatException}. Decoded maps iterate in name order.
 */
public interface UpdateCodec {

    /** The codec's name on the wire: {@code f32}, {@code f16}, {@code int8} or {@code topk}. */
    String name();

    /** The codec's parameters as strings (empty for codecs without any), as {@link UpdateCodecs#forName} takes them. */
    Map<String, String> parameters();

    /**
     * A writer holding the encoded update, ready to write to a stream or a file; its {@link
     * SafetensorsWriter#byteCount()} is the body's length.
     *
     * @throws UnencodableTensorException when a value cannot be encoded (NaN, infinity, out of range)
     */
    SafetensorsWriter encoder(Map<String, FloatTensor> tensors);

    /** Decodes the body that {@code reader} is positioned at the start of, and {@linkplain SafetensorsStreamReader#finish() finishes} it. */
    Map<String, FloatTensor> decode(SafetensorsStreamReader reader) throws IOException;

    /** What decoding the encoded update yields, computed without serializing. */
    Map<String, FloatTensor> reconstruct(Map<String, FloatTensor> tensors);

    /** Encodes {@code tensors} to {@code out} (not closed) and returns the body's SHA-256 and length. */
    default ContentDigest encode(Map<String, FloatTensor> tensors, OutputStream out) throws IOException {
        return encoder(tensors).writeTo(out);
    }

    /** Encodes {@code tensors} to {@code target} atomically (temporary file, then move). */
    default ContentDigest encode(Map<String, FloatTensor> tensors, Path target) throws IOException {
        return encoder(tensors).writeTo(target);
    }

    /** Decodes a whole body from {@code in} (not closed) with the default limits. */
    default Map<String, FloatTensor> decode(InputStream in) throws IOException {
        return decode(SafetensorsStreamReader.open(in, SafetensorsLimits.DEFAULT));
    }

    /** Decodes a body from a file. */
    default Map<String, FloatTensor> decode(Path file) throws IOException {
        try (InputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
            return decode(in);
        }
    }

    /** What the receiver loses: {@code tensors − reconstruct(tensors)}, to add to the next round's update. */
    default Map<String, FloatTensor> residual(Map<String, FloatTensor> tensors) {
        return UpdateCodecs.residual(tensors, reconstruct(tensors));
    }
}
