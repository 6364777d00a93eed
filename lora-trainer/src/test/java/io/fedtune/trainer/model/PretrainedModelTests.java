package io.fedtune.trainer.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.fedtune.protocol.safetensors.DType;
import io.fedtune.protocol.safetensors.SafetensorsFile;
import io.fedtune.protocol.safetensors.SafetensorsWriter;
import io.fedtune.protocol.safetensors.TensorInfo;
import io.fedtune.trainer.tiny.TinyModelSpec;
import io.fedtune.trainer.tiny.TinyModels;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PretrainedModelTests {
    @TempDir
    Path tmp;

    @Test
    void loadsAGeneratedLlamaAndComputesFiniteLogitsOfTheRightShape() {
        Path dir = TinyModels.write(tmp.resolve("llama"), TinyModelSpec.llama());
        try (PretrainedModel model = PretrainedModel.load(dir, LoadOptions.defaults())) {
            assertThat(model.config().architecture()).isEqualTo(Architecture.LLAMA);
            assertThat(model.config().kvHeads()).isEqualTo(2);
            assertThat(model.loraEligibleModules()).contains("q_proj", "down_proj");
            assertThat(model.tokenizer()).isPresent();
            float[][] logits = model.logits(new int[] {1, 2, 3, 4, 5});
            assertThat(logits).hasNumberOfRows(5);
            assertThat(logits[0]).hasSize(model.config().vocabSize());
            for (float[] row : logits) {
                for (float v : row) {
                    assertThat(Float.isFinite(v)).isTrue();
                }
            }
        }
    }

    @Test
    void laterTokensDoNotChangeEarlierLogits() {
        Path dir = TinyModels.write(tmp.resolve("llama"), TinyModelSpec.llama().withArchitecture(Architecture.QWEN2));
        try (PretrainedModel model = PretrainedModel.load(dir, LoadOptions.defaults())) {
            float[][] three = model.logits(new int[] {5, 6, 7});
            float[][] five = model.logits(new int[] {5, 6, 7, 8, 9});
            for (int t = 0; t < 3; t++) {
                for (int v = 0; v < three[t].length; v++) {
                    assertThat(five[t][v]).isCloseTo(three[t][v], org.assertj.core.data.Offset.offset(1e-5f));
                }
            }
        }
    }

    @Test
    void cachedDecodingGivesTheSameLogitsAsOneFullForward() {
        for (TinyModelSpec spec : new TinyModelSpec[] {TinyModelSpec.llama(), TinyModelSpec.gpt2()}) {
            Path dir = TinyModels.write(tmp.resolve(spec.architecture().name()), spec);
            int[] ids = {3, 17, 42, 99, 7, 250};
            try (PretrainedModel model = PretrainedModel.load(dir, LoadOptions.defaults());
                    NDManager m = model.manager().newSubManager();
                    KvCache cache = model.newCache()) {
                float[] full = model.forward(m.create(ids, new Shape(1, ids.length)), null, null)
                        .toFloatArray();
                NDArray prefix = m.create(new int[] {3, 17, 42, 99}, new Shape(1, 4));
                float[] first = model.forward(prefix, cache, null).toFloatArray();
                float[] fifth = model.forward(m.create(new int[] {7}, new Shape(1, 1)), cache, null)
                        .toFloatArray();
                float[] sixth = model.forward(m.create(new int[] {250}, new Shape(1, 1)), cache, null)
                        .toFloatArray();
                assertThat(cache.length()).isEqualTo(6);
                int v = model.config().vocabSize();
                for (int i = 0; i < v; i++) {
                    assertThat(first[3 * v + i]).isCloseTo(full[3 * v + i], org.assertj.core.data.Offset.offset(1e-5f));
                    assertThat(fifth[i]).isCloseTo(full[4 * v + i], org.assertj.core.data.Offset.offset(1e-5f));
                    assertThat(sixth[i]).isCloseTo(full[5 * v + i], org.assertj.core.data.Offset.offset(1e-5f));
                }
            }
        }
    }

    @Test
    void loadsBf16AndTiedCheckpoints() {
        Path dir = TinyModels.write(
                tmp.resolve("bf16"),
                TinyModelSpec.llama().withStoredAs(DType.BF16).withTiedEmbeddings(true));
        try (PretrainedModel model = PretrainedModel.load(dir, LoadOptions.defaults())) {
            assertThat(model.storedAs()).isEqualTo(DType.BF16);
            assertThat(model.config().tieEmbeddings()).isTrue();
            assertThat(model.logits(new int[] {1, 2})[1]).hasSize(384);
        }
    }

    @Test
    void gpt2KeysLoadWithOrWithoutTheTransformerPrefix() throws Exception {
        Path dir = TinyModels.write(tmp.resolve("gpt2"), TinyModelSpec.gpt2().withStoredAs(DType.F16));
        float[][] prefixed;
        try (PretrainedModel model = PretrainedModel.load(dir, LoadOptions.defaults())) {
            assertThat(model.storedAs()).isEqualTo(DType.F16);
            assertThat(model.loraEligibleModules()).containsExactly("c_attn", "c_proj", "c_fc");
            prefixed = model.logits(new int[] {10, 20, 30});
        }
        Path file = dir.resolve("model.safetensors");
        SafetensorsWriter writer = new SafetensorsWriter();
        try (SafetensorsFile in = SafetensorsFile.open(file)) {
            for (TensorInfo t : in.tensors()) {
                writer.addFloats(t.name().replaceFirst("^transformer\\.", ""), DType.F16, t.shape(), in.readFloats(t));
            }
        }
        writer.writeTo(file);
        try (SafetensorsFile in = SafetensorsFile.open(file)) {
            assertThat(in.tensors()).noneMatch(t -> t.name().startsWith("transformer."));
        }
        try (PretrainedModel model = PretrainedModel.load(dir, LoadOptions.defaults())) {
            assertThat(model.logits(new int[] {10, 20, 30})).isEqualTo(prefixed);
            assertThat(model.modulePaths()).contains("transformer.h.1.mlp.c_fc");
        }
    }

    @Test
    void missingAndCorruptFilesAreErrorsNamingTheFile() throws Exception {
        Path dir = TinyModels.write(tmp.resolve("corrupt"), TinyModelSpec.llama());
        Path weights = dir.resolve("model.safetensors");
        byte[] bytes = Files.readAllBytes(weights);
        Files.write(weights, java.util.Arrays.copyOf(bytes, bytes.length / 2));
        assertThatThrownBy(() -> PretrainedModel.load(dir, LoadOptions.defaults()))
                .isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("model.safetensors")
                .hasMessageContaining("corrupt");
        Files.delete(weights);
        assertThatThrownBy(() -> PretrainedModel.load(dir, LoadOptions.defaults()))
                .isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("no model.safetensors");
        Files.writeString(dir.resolve("config.json"), "{\"architectures\": [\"LlamaForCausalLM\"], \"hidden_size\": ");
        assertThatThrownBy(() -> PretrainedModel.load(dir, LoadOptions.defaults()))
                .isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("config.json")
                .hasMessageContaining("malformed JSON");
        Files.delete(dir.resolve("config.json"));
        assertThatThrownBy(() -> PretrainedModel.load(dir, LoadOptions.defaults()))
                .isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("config.json: no such file");
    }

    @Test
    void anUnsupportedArchitectureIsNamed() throws Exception {
        Path dir = TinyModels.write(tmp.resolve("m"), TinyModelSpec.llama());
        Path config = dir.resolve("config.json");
        Files.writeString(config, Files.readString(config).replace("LlamaForCausalLM", "FalconForCausalLM"));
        assertThatThrownBy(() -> PretrainedModel.load(dir, LoadOptions.defaults()))
                .isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("FalconForCausalLM")
                .hasMessageContaining("not supported");
    }

    @Test
    void aMissingTensorIsNamed() throws Exception {
        Path dir = TinyModels.write(tmp.resolve("m"), TinyModelSpec.llama());
        rewriteWithout(dir, "model.layers.1.mlp.up_proj.weight", null);
        assertThatThrownBy(() -> PretrainedModel.load(dir, LoadOptions.defaults()))
                .isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("model.layers.1.mlp.up_proj.weight")
                .hasMessageContaining("missing");
    }

    @Test
    void aTensorOfTheWrongShapeIsNamedWithBothShapes() throws Exception {
        Path dir = TinyModels.write(tmp.resolve("m"), TinyModelSpec.llama());
        rewriteWithout(dir, "model.layers.0.self_attn.k_proj.weight", new long[] {64, 64});
        assertThatThrownBy(() -> PretrainedModel.load(dir, LoadOptions.defaults()))
                .isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("model.layers.0.self_attn.k_proj.weight")
                .hasMessageContaining("[64, 64]")
                .hasMessageContaining("[32, 64]");
    }

    @Test
    void refusesAModelLargerThanTheMemoryBudgetBeforeLoading() {
        Path dir = TinyModels.write(tmp.resolve("m"), TinyModelSpec.llama());
        assertThatThrownBy(
                        () -> PretrainedModel.load(dir, LoadOptions.defaults().withMemoryBudget(1000)))
                .isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("memory budget")
                .hasMessageContaining("1,000 bytes");
    }

    @Test
    void tokenIdsOutsideTheVocabularyAndOverlongSequencesAreClearErrors() {
        Path dir = TinyModels.write(tmp.resolve("m"), TinyModelSpec.llama());
        try (PretrainedModel model = PretrainedModel.load(dir, LoadOptions.defaults())) {
            assertThatThrownBy(() -> model.logits(new int[] {1, 384}))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("token id 384 at position 1");
            assertThatThrownBy(() -> model.logits(new int[129]))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("longer than the model's context of 128");
        }
    }

    @Test
    void loadsAShardedCheckpointThroughItsIndex() throws Exception {
        Path dir = TinyModels.write(tmp.resolve("sharded"), TinyModelSpec.gpt2());
        float[][] whole;
        try (PretrainedModel model = PretrainedModel.load(dir, LoadOptions.defaults())) {
            whole = model.logits(new int[] {1, 2, 3});
        }
        Path single = dir.resolve("model.safetensors");
        SafetensorsWriter first = new SafetensorsWriter();
        SafetensorsWriter second = new SafetensorsWriter();
        StringBuilder map = new StringBuilder();
        try (SafetensorsFile in = SafetensorsFile.open(single)) {
            int i = 0;
            for (TensorInfo t : in.tensors()) {
                String shard = i++ % 2 == 0 ? "model-00001-of-00002.safetensors" : "model-00002-of-00002.safetensors";
                (shard.startsWith("model-00001") ? first : second)
                        .addFloats(t.name(), DType.F32, t.shape(), in.readFloats(t));
                map.append(map.length() == 0 ? "" : ",")
                        .append('"')
                        .append(t.name())
                        .append("\":\"")
                        .append(shard)
                        .append('"');
            }
        }
        first.writeTo(dir.resolve("model-00001-of-00002.safetensors"));
        second.writeTo(dir.resolve("model-00002-of-00002.safetensors"));
        Files.writeString(
                dir.resolve("model.safetensors.index.json"), "{\"metadata\":{},\"weight_map\":{" + map + "}}");
        Files.delete(single);
        try (PretrainedModel model = PretrainedModel.load(dir, LoadOptions.defaults())) {
            assertThat(model.logits(new int[] {1, 2, 3})).isEqualTo(whole);
        }
        Files.delete(dir.resolve("model-00002-of-00002.safetensors"));
        assertThatThrownBy(() -> PretrainedModel.load(dir, LoadOptions.defaults()))
                .isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("model-00002-of-00002.safetensors");
    }

    @Test
    void cachedDecodingWithLoraAndPromptTuningMatchesTheFullForward() {
        Path dir = TinyModels.write(tmp.resolve("peft"), TinyModelSpec.llama());
        int[] ids = {3, 17, 42, 99, 7};
        try (PretrainedModel model = PretrainedModel.load(dir, LoadOptions.defaults())) {
            for (io.fedtune.trainer.peft.PeftConfig config : java.util.List.of(
                    io.fedtune.trainer.peft.PeftConfig.lora(2, 4, java.util.List.of("q_proj", "v_proj", "down_proj")),
                    io.fedtune.trainer.peft.PeftConfig.promptTuning(3, null, 5))) {
                try (io.fedtune.trainer.peft.PeftState fresh = io.fedtune.trainer.peft.PeftState.create(model, config);
                        io.fedtune.trainer.peft.PeftState peft = io.fedtune.trainer.peft.PeftState.of(
                                model, io.fedtune.trainer.peft.AdapterTestSupport.randomised(fresh.toAdapter()));
                        NDManager m = model.manager().newSubManager();
                        KvCache cache = model.newCache()) {
                    float[] full = model.forward(m.create(ids, new Shape(1, 5)), null, peft)
                            .toFloatArray();
                    model.forward(m.create(new int[] {3, 17, 42, 99}, new Shape(1, 4)), cache, peft);
                    float[] last = model.forward(m.create(new int[] {7}, new Shape(1, 1)), cache, peft)
                            .toFloatArray();
                    int v = model.config().vocabSize();
                    for (int i = 0; i < v; i++) {
                        assertThat(last[i]).isCloseTo(full[4 * v + i], org.assertj.core.data.Offset.offset(1e-5f));
                    }
                }
            }
        }
    }

    /** Rewrites model.safetensors without {@code name}, or with it replaced by zeros of {@code newShape}. */
    private static void rewriteWithout(Path dir, String name, long[] newShape) throws Exception {
        Path file = dir.resolve("model.safetensors");
        SafetensorsWriter writer = new SafetensorsWriter();
        try (SafetensorsFile in = SafetensorsFile.open(file)) {
            for (TensorInfo t : in.tensors()) {
                if (t.name().equals(name)) {
                    if (newShape != null) {
                        writer.addFloats(name, DType.F32, newShape, new float[(int) (newShape[0] * newShape[1])]);
                    }
                    continue;
                }
                writer.addFloats(t.name(), DType.F32, t.shape(), in.readFloats(t));
            }
        }
        writer.writeTo(file);
    }
}
