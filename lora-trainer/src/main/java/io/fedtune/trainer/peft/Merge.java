package io.fedtune.trainer.peft;

import io.fedtune.protocol.peft.LoraKey;
import io.fedtune.protocol.peft.LoraMatrix;
import io.fedtune.protocol.peft.PeftKeys;
import io.fedtune.protocol.safetensors.DType;
import io.fedtune.protocol.safetensors.FloatTensor;
import io.fedtune.protocol.safetensors.SafetensorsFile;
import io.fedtune.protocol.safetensors.SafetensorsWriter;
import io.fedtune.protocol.safetensors.TensorInfo;
import io.fedtune.trainer.model.ModelLoadException;
import io.fedtune.trainer.support.AtomicDirectory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Merges a LoRA adapter into its base checkpoint for inference: every adapted weight becomes {@code W + s·B·A}
 * (GPT-2's Conv1D weights, stored [in, out], get the transpose), written as a new Hugging Face model directory that
 * needs no PEFT to serve. Tensors keep their stored dtype; the other files are copied.
 */
public final class Merge {
    private Merge() {}

    /**
     * Writes {@code baseModelDir} merged with {@code adapter} to {@code outDir}, atomically.
     *
     * @throws IllegalArgumentException for a prompt-tuning adapter (nothing to merge) or a module the checkpoint lacks
     */
    public static void mergeInto(Path baseModelDir, Adapter adapter, Path outDir) {
        if (!adapter.config().kind().isLora()) {
            throw new IllegalArgumentException(
                    "only LoRA adapters merge into the weights; prompt tuning stays a prefix");
        }
        Map<String, LoraKey> modules = new HashMap<>();
        for (String key : adapter.tensors().keySet()) {
            LoraKey parsed = PeftKeys.parse(key);
            if (parsed.matrix() == LoraMatrix.A) {
                modules.put(parsed.modulePath(), parsed);
            }
        }
        float scale = (float) adapter.config().scaling();
        AtomicDirectory.replace(outDir, staging -> {
            Set<String> merged = new HashSet<>();
            try (Stream<Path> files = Files.list(baseModelDir)) {
                for (Path file : files.toList()) {
                    Path target = staging.resolve(file.getFileName());
                    if (!Files.isRegularFile(file)) {
                        continue;
                    }
                    if (file.getFileName().toString().endsWith(".safetensors")) {
                        mergeFile(file, target, adapter, modules, scale, merged);
                    } else {
                        Files.copy(file, target);
                    }
                }
            }
            if (merged.size() != modules.size()) {
                Set<String> missing = new HashSet<>(modules.keySet());
                missing.removeAll(merged);
                throw new IllegalArgumentException(baseModelDir + " has no weight for adapted module(s) "
                        + missing.stream().sorted().toList());
            }
        });
    }

    private static void mergeFile(
            Path file, Path target, Adapter adapter, Map<String, LoraKey> modules, float scale, Set<String> merged)
            throws IOException {
        SafetensorsWriter writer = new SafetensorsWriter();
        try (SafetensorsFile in = SafetensorsFile.open(file)) {
            writer.metadata(in.metadata());
            for (TensorInfo t : in.tensors()) {
                String module = moduleOf(t.name(), modules);
                if (module == null) {
                    writer.addRaw(t.name(), t.dtype(), t.shape(), in.view(t));
                    continue;
                }
                float[] w = in.readFloats(t);
                FloatTensor a = adapter.tensors().get(PeftKeys.loraA(module));
                FloatTensor b = adapter.tensors().get(PeftKeys.loraB(module));
                int r = (int) a.shape()[0];
                int inF = (int) a.shape()[1];
                int outF = (int) b.shape()[0];
                boolean conv1d = module.startsWith("transformer.h.");
                long[] expected = conv1d ? new long[] {inF, outF} : new long[] {outF, inF};
                if (!Arrays.equals(t.shape(), expected)) {
                    throw new ModelLoadException(file + ": tensor '" + t.name() + "' has shape "
                            + Arrays.toString(t.shape()) + " but the adapter's " + module + " expects "
                            + Arrays.toString(expected));
                }
                float[] av = a.values();
                float[] bv = b.values();
                for (int o = 0; o < outF; o++) {
                    for (int k = 0; k < r; k++) {
                        float bs = bv[o * r + k] * scale;
                        if (bs == 0) {
                            continue;
                        }
                        int aRow = k * inF;
                        for (int i = 0; i < inF; i++) {
                            int at = conv1d ? i * outF + o : o * inF + i;
                            w[at] += bs * av[aRow + i];
                        }
                    }
                }
                DType dtype = t.dtype().isFloatingPoint() ? t.dtype() : DType.F32;
                writer.addFloats(t.name(), dtype, t.shape(), w);
                merged.add(module);
            }
        }
        writer.writeTo(target);
    }

    /** The adapted module whose weight this tensor is, or null (GPT-2 keys may lack the {@code transformer.} prefix). */
    private static String moduleOf(String tensorName, Map<String, LoraKey> modules) {
        if (!tensorName.endsWith(".weight")) {
            return null;
        }
        String path = tensorName.substring(0, tensorName.length() - ".weight".length());
        for (String candidate : List.of(path, "transformer." + path)) {
            if (modules.containsKey(candidate)) {
                return candidate;
            }
        }
        return null;
    }
}
