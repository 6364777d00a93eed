package io.fedtune.trainer.model;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.fedtune.trainer.io.Npy;
import io.fedtune.trainer.peft.Adapter;
import io.fedtune.trainer.peft.PeftState;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * Logits of {@link PretrainedModel} against golden logits of the independent PyTorch reference in {@code
 * tools/reference} (fixtures under {@code src/test/resources/fixtures}; rerun {@code make_fixtures.py} to
 * regenerate them): 1e-4 max abs on FP32-stored checkpoints, 1e-3 on BF16/F16-stored ones; the same through PEFT
 * adapters (LoRA, rsLoRA, GPT-2 Conv1D LoRA, prompt tuning) read from Hugging Face PEFT directories.
 */
class FidelityTests {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    @TempDir
    Path temp;

    static Stream<String> fixtures() {
        return Stream.of(
                "llama-gqa",
                "qwen2-bias",
                "llama-tied-headdim",
                "mistral-sharded",
                "gpt2",
                "gpt2-noprefix",
                "llama-bf16",
                "qwen2-f16");
    }

    @ParameterizedTest
    @MethodSource("fixtures")
    void logitsMatchTheReferenceImplementation(String name) throws IOException {
        Path dir = fixture(name);
        JsonNode golden = JSON.readTree(dir.resolve("golden.json").toFile());
        int[] ids = ids(golden);
        double tolerance = golden.get("tolerance").asDouble();
        float[][] expected = Npy.read(dir.resolve("logits.npy"));

        float[][] actual;
        try (PretrainedModel model = PretrainedModel.load(dir, LoadOptions.defaults())) {
            actual = model.logits(ids);
        }

        double error = maxAbsDifference(expected, actual);
        System.out.printf("fidelity %-20s max abs error %.3e (tolerance %.0e)%n", name, error, tolerance);
        assertThat(error).as("max abs logit error of %s", name).isLessThanOrEqualTo(tolerance);
    }

    static Stream<String> adapterFixtures() {
        return Stream.of("lora-llama-gqa", "lora-qwen2-rslora", "lora-gpt2", "prompt-llama-gqa");
    }

    @ParameterizedTest
    @MethodSource("adapterFixtures")
    void logitsThroughAPeftAdapterMatchTheReferenceImplementation(String name) throws IOException {
        Path dir = fixture(name);
        JsonNode golden = JSON.readTree(dir.resolve("golden.json").toFile());
        int[] ids = ids(golden);
        double tolerance = golden.get("tolerance").asDouble();
        float[][] expected = Npy.read(dir.resolve("logits.npy"));
        Adapter adapter = Adapter.read(dir);

        float[][] actual;
        try (PretrainedModel model =
                        PretrainedModel.load(fixture(golden.get("base").asString()), LoadOptions.defaults());
                PeftState peft = PeftState.of(model, adapter);
                NDManager scratch = model.manager().newSubManager()) {
            NDArray logits = model.forward(scratch.create(ids, new Shape(1, ids.length)), null, peft);
            float[] flat = logits.toFloatArray();
            int vocab = model.config().vocabSize();
            actual = new float[ids.length][vocab];
            for (int t = 0; t < ids.length; t++) {
                System.arraycopy(flat, t * vocab, actual[t], 0, vocab);
            }
        }

        double error = maxAbsDifference(expected, actual);
        System.out.printf("fidelity %-20s max abs error %.3e (tolerance %.0e)%n", name, error, tolerance);
        assertThat(error).as("max abs logit error of %s", name).isLessThanOrEqualTo(tolerance);
    }

    @ParameterizedTest
    @MethodSource("fixtures")
    void decodingWithTheKvCacheGivesTheReferenceLogitsPositionByPosition(String name) throws IOException {
        Path dir = fixture(name);
        JsonNode golden = JSON.readTree(dir.resolve("golden.json").toFile());
        int[] ids = ids(golden);
        float[][] expected = Npy.read(dir.resolve("logits.npy"));
        int prefix = 5;

        float[][] actual = new float[ids.length][];
        try (PretrainedModel model = PretrainedModel.load(dir, LoadOptions.defaults());
                KvCache cache = model.newCache();
                NDManager scratch = model.manager().newSubManager()) {
            int vocab = model.config().vocabSize();
            float[] first = model.forward(
                            scratch.create(java.util.Arrays.copyOf(ids, prefix), new Shape(1, prefix)), cache, null)
                    .toFloatArray();
            for (int t = 0; t < prefix; t++) {
                actual[t] = java.util.Arrays.copyOfRange(first, t * vocab, (t + 1) * vocab);
            }
            for (int t = prefix; t < ids.length; t++) {
                actual[t] = model.forward(scratch.create(new int[] {ids[t]}, new Shape(1, 1)), cache, null)
                        .toFloatArray();
            }
            assertThat(cache.length()).isEqualTo(ids.length);
        }

        assertThat(maxAbsDifference(expected, actual))
                .isLessThanOrEqualTo(golden.get("tolerance").asDouble());
    }

    @Test
    void theComparisonNoticesAWrongRopeTheta() throws IOException {
        Path original = fixture("llama-gqa");
        Path copy = temp.resolve("llama-gqa-wrong-theta");
        Files.createDirectories(copy);
        Files.copy(original.resolve("model.safetensors"), copy.resolve("model.safetensors"));
        ObjectNode config =
                (ObjectNode) JSON.readTree(original.resolve("config.json").toFile());
        config.put("rope_theta", 500000.0);
        JSON.writeValue(copy.resolve("config.json").toFile(), config);
        JsonNode golden = JSON.readTree(original.resolve("golden.json").toFile());

        float[][] actual;
        try (PretrainedModel model = PretrainedModel.load(copy, LoadOptions.defaults())) {
            actual = model.logits(ids(golden));
        }

        assertThat(maxAbsDifference(Npy.read(original.resolve("logits.npy")), actual))
                .isGreaterThan(100 * golden.get("tolerance").asDouble());
    }

    private static int[] ids(JsonNode golden) {
        JsonNode ids = golden.get("ids");
        int[] result = new int[ids.size()];
        for (int i = 0; i < result.length; i++) {
            result[i] = ids.get(i).asInt();
        }
        return result;
    }

    static double maxAbsDifference(float[][] expected, float[][] actual) {
        assertThat(actual).hasNumberOfRows(expected.length);
        double max = 0;
        for (int t = 0; t < expected.length; t++) {
            assertThat(actual[t]).hasSameSizeAs(expected[t]);
            for (int v = 0; v < expected[t].length; v++) {
                double difference = Math.abs((double) expected[t][v] - actual[t][v]);
                if (Double.isNaN(difference)) {
                    return Double.NaN;
                }
                max = Math.max(max, difference);
            }
        }
        return max;
    }

    private static Path fixture(String name) {
        try {
            return Path.of(FidelityTests.class.getResource("/fixtures/" + name).toURI());
        } catch (URISyntaxException e) {
            throw new UncheckedIOException(new IOException(e));
        }
    }
}
