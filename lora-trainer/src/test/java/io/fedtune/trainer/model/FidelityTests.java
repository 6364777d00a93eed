package io.fedtune.trainer.model;

import static org.assertj.core.api.Assertions.assertThat;

import io.fedtune.trainer.io.Npy;
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
 * regenerate them): 1e-4 max abs on FP32-stored checkpoints, 1e-3 on BF16/F16-stored ones.
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
