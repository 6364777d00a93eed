package io.fedtune.protocol.codec;

import io.fedtune.protocol.safetensors.DType;
import io.fedtune.protocol.safetensors.FloatTensor;
import io.fedtune.protocol.safetensors.SafetensorsFormatException;
import io.fedtune.protocol.safetensors.SafetensorsHeader;
import io.fedtune.protocol.safetensors.SafetensorsStreamReader;
import io.fedtune.protocol.safetensors.TensorInfo;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.function.Predicate;

/** Checks and plumbing the codecs share. */
final class CodecSupport {

    private CodecSupport() {}

    /** The names of {@code tensors}, sorted, after checking none is null or empty. */
    static List<String> sortedNames(Map<String, FloatTensor> tensors) {
        List<String> names = new ArrayList<>(tensors.size());
        for (Map.Entry<String, FloatTensor> entry : tensors.entrySet()) {
            if (entry.getKey() == null || entry.getKey().isEmpty()) {
                throw new IllegalArgumentException("an update tensor needs a non-empty name");
            }
            if (entry.getValue() == null) {
                throw new IllegalArgumentException("update tensor '" + entry.getKey() + "' is null");
            }
            names.add(entry.getKey());
        }
        Collections.sort(names);
        return names;
    }

    /** Rejects NaN and infinities, naming the first one. */
    static void requireFinite(String codec, String name, float[] values) {
        for (int i = 0; i < values.length; i++) {
            if (!Float.isFinite(values[i])) {
                throw new UnencodableTensorException(codec, name, i, values[i], "and updates must be finite");
            }
        }
    }

    /** Rejects a decoded NaN or infinity, naming the first one. */
    static void requireFiniteDecoded(String codec, String name, float[] values) throws SafetensorsFormatException {
        for (int i = 0; i < values.length; i++) {
            if (!Float.isFinite(values[i])) {
                throw new SafetensorsFormatException(
                        codec + " update tensor '" + name + "' element " + i + " is " + values[i]
                                + "; updates must be finite",
                        name);
            }
        }
    }

    /** Rejects a name that would collide with a codec's companion tensors. */
    static void requireNoSuffix(String codec, String name, String... suffixes) {
        for (String suffix : suffixes) {
            if (name.endsWith(suffix)) {
                throw new IllegalArgumentException(codec + " codec reserves names ending in '" + suffix
                        + "' for its own tensors; rename tensor '" + name + "'");
            }
        }
    }

    /** Checks that the body was written by {@code codec} (or carries no codec mark, for f32). */
    static void requireCodec(SafetensorsHeader header, String codec) throws SafetensorsFormatException {
        String written = header.metadata().get(UpdateCodecs.CODEC_KEY);
        if (written == null && codec.equals(F32Codec.NAME)) {
            return;
        }
        if (!codec.equals(written)) {
            throw new SafetensorsFormatException("body was encoded with codec "
                    + (written == null ? "(none: no '" + UpdateCodecs.CODEC_KEY + "' metadata)" : "'" + written + "'")
                    + ", not '" + codec + "'");
        }
    }

    /**
     * Decodes an update whose tensors are plain floating-point values: each must have a dtype {@code accepted} allows
     * ({@code expected} names them in the error) and finite values.
     */
    static Map<String, FloatTensor> decodeFloats(
            SafetensorsStreamReader reader, String codec, Predicate<DType> accepted, String expected)
            throws IOException {
        requireCodec(reader.header(), codec);
        SortedMap<String, FloatTensor> result = result();
        while (reader.hasNext()) {
            TensorInfo tensor = reader.next();
            if (!accepted.test(tensor.dtype())) {
                throw new SafetensorsFormatException(
                        codec + " update tensor '" + tensor.name() + "' is "
                                + tensor.dtype().wireName() + "; expected " + expected,
                        tensor.name());
            }
            float[] values = reader.readFloats();
            requireFiniteDecoded(codec, tensor.name(), values);
            result.put(tensor.name(), new FloatTensor(tensor.shape(), values));
        }
        reader.finish();
        return freeze(result);
    }

    static SortedMap<String, FloatTensor> result() {
        return new TreeMap<>();
    }

    static SortedMap<String, FloatTensor> freeze(SortedMap<String, FloatTensor> tensors) {
        return Collections.unmodifiableSortedMap(tensors);
    }
}
