package io.fedtune.protocol.bench;

import io.fedtune.protocol.checksum.ContentDigest;
import io.fedtune.protocol.codec.UpdateCodec;
import io.fedtune.protocol.codec.UpdateCodecs;
import io.fedtune.protocol.safetensors.FloatTensor;
import io.fedtune.protocol.safetensors.SafetensorsFile;
import io.fedtune.protocol.safetensors.SafetensorsLimits;
import io.fedtune.protocol.safetensors.SafetensorsStreamReader;
import io.fedtune.protocol.safetensors.SafetensorsWriter;
import io.fedtune.protocol.safetensors.TensorInfo;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

/**
 * Prints throughput figures for the safetensors codec and the update codecs on an update the size of Llama-2-7B LoRA
 * r=32 on q_proj and v_proj (32 layers × 2 modules × A and B of 32 × 4096, 16.8M parameters, 64 MiB in F32).
 *
 * <p>Run: {@code ./mvnw -q -pl protocol test-compile exec:java -Dexec.classpathScope=test
 * -Dexec.mainClass=io.fedtune.protocol.bench.ProtocolBenchmark}
 */
public final class ProtocolBenchmark {

    private ProtocolBenchmark() {}

    public static void main(String[] args) throws IOException {
        Map<String, FloatTensor> update = update(new Random(1));
        long parameters = update.values().stream().mapToLong(FloatTensor::size).sum();
        double mib = parameters * 4.0 / (1 << 20);
        System.out.printf("update: %d tensors, %d parameters, %.1f MiB in F32%n", update.size(), parameters, mib);
        Path directory = Files.createTempDirectory("fedtune-bench");
        try {
            for (int round = 0; round < 3; round++) {
                boolean report = round == 2;
                Path file = directory.resolve("update.safetensors");
                long start = System.nanoTime();
                SafetensorsWriter writer = new SafetensorsWriter();
                update.forEach(writer::add);
                ContentDigest written = writer.writeTo(file);
                double write = seconds(start);

                start = System.nanoTime();
                long floats = 0;
                try (SafetensorsFile opened = SafetensorsFile.open(file)) {
                    for (TensorInfo tensor : opened.tensors()) {
                        floats += opened.readFloats(tensor).length;
                    }
                }
                double mapRead = seconds(start);

                start = System.nanoTime();
                try (InputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
                    SafetensorsStreamReader.validate(in, SafetensorsLimits.DEFAULT);
                }
                double validate = seconds(start);
                if (report) {
                    System.out.printf(
                            "safetensors write+fsync+sha256  %7.0f MiB/s   (%d bytes)%n",
                            mib / write, written.byteCount());
                    System.out.printf(
                            "safetensors file readFloats     %7.0f MiB/s   (%d floats)%n", mib / mapRead, floats);
                    System.out.printf(
                            "safetensors stream validate     %7.0f MiB/s   (header, layout, sha256)%n", mib / validate);
                }
                for (String name : UpdateCodecs.NAMES) {
                    UpdateCodec codec =
                            UpdateCodecs.forName(name, name.equals("topk") ? Map.of("fraction", "0.01") : Map.of());
                    Path encoded = directory.resolve(name + ".safetensors");
                    start = System.nanoTime();
                    ContentDigest digest = codec.encode(update, encoded);
                    double encode = seconds(start);
                    start = System.nanoTime();
                    codec.decode(encoded);
                    double decode = seconds(start);
                    if (report) {
                        System.out.printf(
                                "codec %-5s encode %7.0f MiB/s  decode %7.0f MiB/s  size %6.2f MiB (%.3f of f32)%n",
                                codec.toString().startsWith("topk") ? "topk1%" : name,
                                mib / encode,
                                mib / decode,
                                digest.byteCount() / (double) (1 << 20),
                                digest.byteCount() / (double) written.byteCount());
                    }
                }
            }
        } finally {
            try (var files = Files.list(directory)) {
                for (Path path : (Iterable<Path>) files::iterator) {
                    Files.delete(path);
                }
            }
            Files.delete(directory);
        }
    }

    private static Map<String, FloatTensor> update(Random random) {
        Map<String, FloatTensor> update = new TreeMap<>();
        for (int layer = 0; layer < 32; layer++) {
            for (String module : new String[] {"q_proj", "v_proj"}) {
                String path = "base_model.model.model.layers." + layer + ".self_attn." + module;
                update.put(path + ".lora_A.weight", gaussian(random, 32, 4096));
                update.put(path + ".lora_B.weight", gaussian(random, 4096, 32));
            }
        }
        return update;
    }

    private static FloatTensor gaussian(Random random, int rows, int columns) {
        float[] values = new float[rows * columns];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) (random.nextGaussian() * 0.01);
        }
        return FloatTensor.of(values, rows, columns);
    }

    private static double seconds(long start) {
        return (System.nanoTime() - start) / 1e9;
    }
}
