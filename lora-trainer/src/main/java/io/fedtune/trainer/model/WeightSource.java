package io.fedtune.trainer.model;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import io.fedtune.protocol.safetensors.DType;
import io.fedtune.protocol.safetensors.SafetensorsFile;
import io.fedtune.protocol.safetensors.SafetensorsFormatException;
import io.fedtune.protocol.safetensors.TensorInfo;
import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The tensors of a checkpoint: one {@code model.safetensors} or the shards a {@code model.safetensors.index.json}
 * lists, memory-mapped. Reads return FP32 (F16 and BF16 are widened in Java; DJL's PyTorch engine cannot hold BF16).
 */
final class WeightSource implements Closeable {
    static final String SINGLE = "model.safetensors";
    static final String INDEX = "model.safetensors.index.json";

    private final Path dir;
    private final List<SafetensorsFile> files;
    private final Map<String, SafetensorsFile> byName = new LinkedHashMap<>();

    private WeightSource(Path dir, List<SafetensorsFile> files) {
        this.dir = dir;
        this.files = files;
        for (SafetensorsFile file : files) {
            for (TensorInfo tensor : file.tensors()) {
                byName.put(tensor.name(), file);
            }
        }
    }

    static WeightSource open(Path dir) {
        Path single = dir.resolve(SINGLE);
        Path index = dir.resolve(INDEX);
        List<SafetensorsFile> files = new ArrayList<>();
        try {
            if (Files.isRegularFile(single)) {
                files.add(openFile(single));
            } else if (Files.isRegularFile(index)) {
                for (String shard : shardNames(index)) {
                    files.add(openFile(dir.resolve(shard)));
                }
            } else {
                throw new ModelLoadException(
                        dir + ": no " + SINGLE + " or " + INDEX + " (fedtune reads safetensors checkpoints only)");
            }
            return new WeightSource(dir, files);
        } catch (RuntimeException e) {
            closeAll(files);
            throw e;
        }
    }

    private static SafetensorsFile openFile(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new ModelLoadException(file + ": shard listed in " + INDEX + " is missing");
        }
        try {
            return SafetensorsFile.open(file);
        } catch (SafetensorsFormatException e) {
            throw new ModelLoadException(file + ": corrupt safetensors file: " + e.getMessage(), e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    private static List<String> shardNames(Path index) {
        try {
            JsonObject json = JsonParser.parseString(Files.readString(index, StandardCharsets.UTF_8))
                    .getAsJsonObject();
            JsonElement map = json.get("weight_map");
            if (map == null || !map.isJsonObject()) {
                throw new ModelLoadException(index + ": 'weight_map' is missing");
            }
            List<String> shards = new ArrayList<>();
            for (Map.Entry<String, JsonElement> e : map.getAsJsonObject().entrySet()) {
                String shard = e.getValue().getAsString();
                if (shard.contains("/") || shard.contains("\\") || shard.startsWith(".")) {
                    throw new ModelLoadException(index + ": shard name '" + shard + "' is not a plain file name");
                }
                if (!shards.contains(shard)) {
                    shards.add(shard);
                }
            }
            return shards;
        } catch (JsonParseException | IllegalStateException | UnsupportedOperationException e) {
            throw new ModelLoadException(index + ": malformed index: " + e.getMessage(), e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + index, e);
        }
    }

    /** Bytes the checkpoint's floating-point tensors take once widened to FP32. */
    long widenedBytes() {
        long total = 0;
        for (SafetensorsFile file : files) {
            for (TensorInfo t : file.tensors()) {
                total += t.dtype().isFloatingPoint() ? t.elementCount() * 4 : t.byteSize();
            }
        }
        return total;
    }

    /** The dtype most tensors are stored as (for {@code inspect}). */
    DType storedAs() {
        Map<DType, Long> counts = new LinkedHashMap<>();
        for (SafetensorsFile file : files) {
            for (TensorInfo t : file.tensors()) {
                counts.merge(t.dtype(), t.elementCount(), Long::sum);
            }
        }
        return counts.entrySet().stream()
                .max(Map.Entry.comparingByValue())
                .map(Map.Entry::getKey)
                .orElse(DType.F32);
    }

    boolean has(String name) {
        return byName.containsKey(name);
    }

    /** The first of {@code names} the checkpoint holds. */
    Optional<String> firstPresent(String... names) {
        return Arrays.stream(names).filter(byName::containsKey).findFirst();
    }

    /**
     * Reads a tensor as FP32, checking its shape.
     *
     * @throws ModelLoadException naming the tensor when it is missing, has another shape, or is not floating point
     */
    float[] read(String name, long... expectedShape) {
        SafetensorsFile file = byName.get(name);
        if (file == null) {
            throw new ModelLoadException(dir + ": tensor '" + name + "' is missing from the checkpoint");
        }
        TensorInfo info = file.tensor(name);
        if (!Arrays.equals(info.shape(), expectedShape)) {
            throw new ModelLoadException(dir + ": tensor '" + name + "' has shape " + Arrays.toString(info.shape())
                    + ", expected " + Arrays.toString(expectedShape) + " from config.json");
        }
        if (!info.dtype().isFloatingPoint()) {
            throw new ModelLoadException(
                    dir + ": tensor '" + name + "' is " + info.dtype().wireName() + ", expected F32, F16 or BF16");
        }
        try {
            return file.readFloats(info);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read tensor '" + name + "' from " + file.path(), e);
        }
    }

    @Override
    public void close() {
        closeAll(files);
    }

    private static void closeAll(List<SafetensorsFile> files) {
        for (SafetensorsFile f : files) {
            try {
                f.close();
            } catch (IOException ignored) {
                // read-only mappings; nothing to flush
            }
        }
    }
}
