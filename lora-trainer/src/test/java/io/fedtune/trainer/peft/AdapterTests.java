package io.fedtune.trainer.peft;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.fedtune.protocol.peft.PeftKeys;
import io.fedtune.protocol.safetensors.FloatTensor;
import io.fedtune.trainer.model.LoadOptions;
import io.fedtune.trainer.model.PretrainedModel;
import io.fedtune.trainer.tiny.TinyModelSpec;
import io.fedtune.trainer.tiny.TinyModels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AdapterTests {
    @TempDir
    static Path tmp;

    static PretrainedModel llama;
    static PretrainedModel gpt2;

    @BeforeAll
    static void load() {
        llama = PretrainedModel.load(
                TinyModels.write(tmp.resolve("llama"), TinyModelSpec.llama()), LoadOptions.defaults());
        gpt2 = PretrainedModel.load(
                TinyModels.write(tmp.resolve("gpt2"), TinyModelSpec.gpt2()), LoadOptions.defaults());
    }

    @AfterAll
    static void close() {
        llama.close();
        gpt2.close();
    }

    /** The adapter with every B filled with small values, so round trips and logits see non-trivial tensors. */
    static Adapter withRandomB(Adapter adapter) {
        Map<String, FloatTensor> tensors = new TreeMap<>(adapter.tensors());
        java.util.SplittableRandom random = new java.util.SplittableRandom(3);
        tensors.replaceAll((k, t) -> {
            if (!k.contains("lora_B")) {
                return t;
            }
            float[] v = new float[t.size()];
            for (int i = 0; i < v.length; i++) {
                v[i] = (float) (random.nextDouble() - 0.5) * 0.2f;
            }
            return new FloatTensor(t.shape(), v);
        });
        return new Adapter(adapter.config(), tensors);
    }

    @Test
    void aLoraAdapterRoundTripsThroughTheHuggingFacePeftLayout() throws Exception {
        PeftConfig config = PeftConfig.lora(4, 8, List.of("q_proj", "v_proj", "down_proj"));
        Adapter written;
        try (PeftState state = PeftState.create(llama, config)) {
            written = withRandomB(state.toAdapter());
        }
        Path dir = tmp.resolve("adapter");
        written.write(dir, "org/tiny-llama");
        Adapter read = Adapter.read(dir);
        assertThat(read.config()).isEqualTo(written.config());
        assertThat(read.tensors()).isEqualTo(written.tensors());
        assertThat(read.tensors()).containsKey("base_model.model.model.layers.1.mlp.down_proj.lora_B.weight");
        assertThat(read.tensors()
                        .get("base_model.model.model.layers.0.self_attn.v_proj.lora_A.weight")
                        .shape())
                .containsExactly(4, 64);
        JsonObject json = JsonParser.parseString(Files.readString(dir.resolve("adapter_config.json")))
                .getAsJsonObject();
        assertThat(json.get("peft_type").getAsString()).isEqualTo("LORA");
        assertThat(json.get("r").getAsInt()).isEqualTo(4);
        assertThat(json.get("lora_alpha").getAsDouble()).isEqualTo(8.0);
        assertThat(json.get("base_model_name_or_path").getAsString()).isEqualTo("org/tiny-llama");
        assertThat(json.get("target_modules").getAsJsonArray()).hasSize(3);
        try (Stream<Path> files = Files.list(tmp)) {
            assertThat(files.map(p -> p.getFileName().toString())).noneMatch(n -> n.contains(".tmp-"));
        }
    }

    @Test
    void aFreshLoraAdapterLeavesTheLogitsUnchangedAndATrainedOneChangesThem() {
        int[] ids = {5, 9, 77, 200};
        float[][] base = llama.logits(ids);
        PeftConfig config = PeftConfig.lora(
                4, 8, List.of("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"));
        try (PeftState fresh = PeftState.create(llama, config);
                PeftState changed = PeftState.of(llama, withRandomB(fresh.toAdapter()))) {
            assertThat(maxAbsDiff(logits(llama, fresh, ids), flatten(base))).isLessThan(1e-5f);
            assertThat(maxAbsDiff(logits(llama, changed, ids), flatten(base))).isGreaterThan(1e-3f);
        }
    }

    @Test
    void gpt2AdaptersUseTransformerModulePathsAndFanInFanOut() throws Exception {
        PeftConfig config = PeftConfig.lora(2, 4, List.of("c_attn", "c_proj", "c_fc"));
        try (PeftState state = PeftState.create(gpt2, config)) {
            assertThat(state.tensors())
                    .containsKey("base_model.model.transformer.h.0.attn.c_attn.lora_A.weight")
                    .containsKey("base_model.model.transformer.h.1.mlp.c_proj.lora_B.weight")
                    .hasSize(2 * 2 * 4);
            assertThat(state.tensors()
                            .get("base_model.model.transformer.h.0.attn.c_attn.lora_B.weight")
                            .getShape()
                            .getShape())
                    .containsExactly(192, 2);
            Adapter adapter = state.toAdapter();
            assertThat(adapter.configJson("gpt2")).contains("\"fan_in_fan_out\": true");
        }
    }

    @Test
    void ffaLoraClientsWithTheSameSeedDeriveTheSameFrozenA() {
        PeftConfig one = PeftConfig.ffaLora(4, 8, List.of("q_proj", "v_proj"), 99);
        try (PeftState a = PeftState.create(llama, one);
                PeftState b = PeftState.create(llama, one);
                PeftState other = PeftState.create(llama, one.withSharedSeed(100))) {
            String key = PeftKeys.loraA("model.layers.0.self_attn.q_proj");
            assertThat(a.tensors().get(key).toFloatArray())
                    .isEqualTo(b.tensors().get(key).toFloatArray());
            assertThat(a.tensors().get(key).toFloatArray())
                    .isNotEqualTo(other.tensors().get(key).toFloatArray());
            assertThat(a.trainable().keySet()).allMatch(k -> k.contains("lora_B"));
            float bound = (float) (1 / Math.sqrt(64));
            for (float v : a.tensors().get(key).toFloatArray()) {
                assertThat(Math.abs(v)).isLessThanOrEqualTo(bound);
            }
        }
    }

    @Test
    void rsLoraScalesByAlphaOverTheSquareRootOfTheRank() {
        assertThat(PeftConfig.lora(16, 32, List.of("q_proj")).scaling()).isEqualTo(2.0);
        assertThat(PeftConfig.lora(16, 32, List.of("q_proj")).withRsLora(true).scaling())
                .isEqualTo(8.0);
    }

    @Test
    void targetModulesThatMatchNothingInTheModelAreRejectedWithTheEligibleNames() {
        assertThatThrownBy(() -> PeftState.create(gpt2, PeftConfig.lora(2, 4, List.of("q_proj"))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("c_attn");
        assertThatThrownBy(() -> PeftConfig.lora(2, 4, List.of("attention")))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aBrokenAdapterDirectoryIsAnErrorNamingTheFile() throws Exception {
        Path empty = Files.createDirectories(tmp.resolve("empty"));
        assertThatThrownBy(() -> Adapter.read(empty))
                .isInstanceOf(AdapterFormatException.class)
                .hasMessageContaining("adapter_config.json");
        Path dir = tmp.resolve("rank");
        try (PeftState state = PeftState.create(llama, PeftConfig.lora(4, 8, List.of("q_proj")))) {
            state.toAdapter().write(dir, "base");
        }
        Path config = dir.resolve("adapter_config.json");
        Files.writeString(config, Files.readString(config).replace("\"r\": 4", "\"r\": 8"));
        assertThatThrownBy(() -> Adapter.read(dir))
                .isInstanceOf(AdapterFormatException.class)
                .hasMessageContaining("adapter_model.safetensors")
                .hasMessageContaining("expected rank 8");
    }

    @Test
    void promptTuningFromTextRoundTripsAndShiftsTheLogits() {
        PeftConfig config = PeftConfig.promptTuning(5, "Answer the question", 1);
        int[] ids = {5, 9, 77};
        try (PeftState state = PeftState.create(llama, config)) {
            assertThat(state.promptEmbeddings().getShape().getShape()).containsExactly(5, 64);
            Adapter adapter = state.toAdapter();
            Path dir = tmp.resolve("prompt");
            adapter.write(dir, "base");
            Adapter read = Adapter.read(dir);
            assertThat(read.config().virtualTokens()).isEqualTo(5);
            assertThat(read.tensors()).isEqualTo(adapter.tensors());
            float[] with = logits(llama, state, ids);
            assertThat(with).hasSize(3 * 384);
            assertThat(maxAbsDiff(with, flatten(llama.logits(ids)))).isGreaterThan(1e-3f);
        }
    }

    static float[] logits(PretrainedModel model, PeftState peft, int[] ids) {
        try (ai.djl.ndarray.NDManager m = model.manager().newSubManager()) {
            return model.forward(m.create(ids, new ai.djl.ndarray.types.Shape(1, ids.length)), null, peft)
                    .toFloatArray();
        }
    }

    static float maxAbsDiff(float[] a, float[] b) {
        assertThat(a).hasSameSizeAs(b);
        float max = 0;
        for (int i = 0; i < a.length; i++) {
            max = Math.max(max, Math.abs(a[i] - b[i]));
        }
        return max;
    }

    static float[] flatten(float[][] rows) {
        float[] out = new float[rows.length * rows[0].length];
        for (int i = 0; i < rows.length; i++) {
            System.arraycopy(rows[i], 0, out, i * rows[0].length, rows[0].length);
        }
        return out;
    }
}
