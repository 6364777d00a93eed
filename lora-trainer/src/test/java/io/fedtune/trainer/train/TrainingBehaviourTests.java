package io.fedtune.trainer.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fedtune.protocol.peft.PeftKeys;
import io.fedtune.protocol.safetensors.FloatTensor;
import io.fedtune.trainer.data.TokenizedExample;
import io.fedtune.trainer.model.LoadOptions;
import io.fedtune.trainer.model.PretrainedModel;
import io.fedtune.trainer.peft.Adapter;
import io.fedtune.trainer.peft.PeftConfig;
import io.fedtune.trainer.testing.Synthetic;
import io.fedtune.trainer.tiny.TinyModelSpec;
import io.fedtune.trainer.tiny.TinyModels;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainingBehaviourTests {
    @TempDir
    static Path tmp;

    static PretrainedModel llama;
    static PretrainedModel gpt2;
    static List<TokenizedExample> data;

    @BeforeAll
    static void load() {
        llama = PretrainedModel.load(
                TinyModels.write(tmp.resolve("llama"), TinyModelSpec.llama()), LoadOptions.defaults());
        gpt2 = PretrainedModel.load(
                TinyModels.write(tmp.resolve("gpt2"), TinyModelSpec.gpt2()), LoadOptions.defaults());
        data = Synthetic.examples(llama.tokenizer().orElseThrow(), 8);
    }

    @AfterAll
    static void close() {
        llama.close();
        gpt2.close();
    }

    static TrainingConfig config(int steps, int batch) {
        return TrainingConfig.defaults()
                .withMaxSteps(steps)
                .withBatchSize(batch, 1)
                .withLearningRate(5e-3)
                .withSchedule(Schedule.COSINE, 2);
    }

    static TrainingJob.Builder job(PretrainedModel model, PeftConfig peft, TrainingConfig config) {
        return TrainingJob.builder()
                .setModel(model)
                .setPeft(peft)
                .setTrainData(data)
                .optConfig(config);
    }

    static byte[] bytes(Adapter adapter) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        adapter.safetensors().writeTo(out);
        return out.toByteArray();
    }

    static final PeftConfig LORA =
            PeftConfig.lora(4, 8, List.of("q_proj", "v_proj", "up_proj")).withDropout(0.1);

    @Test
    void theSameSeedAndDataGiveTheSameAdapterBytesAndAnotherSeedDoesNot() throws Exception {
        byte[] first =
                bytes(FineTuner.train(job(llama, LORA, config(4, 4)).build()).adapter());
        byte[] second =
                bytes(FineTuner.train(job(llama, LORA, config(4, 4)).build()).adapter());
        byte[] other =
                bytes(FineTuner.train(job(llama, LORA, config(4, 4).withSeed(7)).build())
                        .adapter());
        assertThat(second).isEqualTo(first);
        assertThat(other).isNotEqualTo(first);
    }

    @Test
    void aStoppedRunCheckpointsAndItsResumptionEndsWhereAnUninterruptedRunEnds() throws Exception {
        byte[] uninterrupted =
                bytes(FineTuner.train(job(llama, LORA, config(6, 4)).build()).adapter());

        Path checkpoint = tmp.resolve("checkpoint");
        TrainingControl control = new TrainingControl();
        TrainingResult stopped = FineTuner.train(job(llama, LORA, config(6, 4))
                .optCheckpoint(checkpoint, 2)
                .optControl(control)
                .optListener(p -> {
                    if (p.step() == 3) {
                        control.requestStop();
                    }
                })
                .build());
        assertThat(stopped.interrupted()).isTrue();
        assertThat(stopped.steps()).isEqualTo(3);
        assertThat(Files.list(tmp).map(Path::getFileName).map(Path::toString)).noneMatch(n -> n.contains(".tmp-"));

        List<Integer> resumedSteps = new ArrayList<>();
        TrainingResult resumed = FineTuner.train(job(llama, LORA, config(6, 4))
                .optCheckpoint(checkpoint, 2)
                .optListener(p -> resumedSteps.add(p.step()))
                .build());
        assertThat(resumedSteps).containsExactly(4, 5, 6);
        assertThat(resumed.interrupted()).isFalse();
        assertThat(resumed.steps()).isEqualTo(6);
        assertThat(bytes(resumed.adapter())).isEqualTo(uninterrupted);
        assertThat(resumed.firstLoss()).isEqualTo(stopped.firstLoss());

        TrainingResult again = FineTuner.train(
                job(llama, LORA, config(6, 4)).optCheckpoint(checkpoint, 2).build());
        assertThat(again.steps()).isEqualTo(6);
        assertThat(again.finalLoss()).isEqualTo(resumed.finalLoss());
        assertThat(bytes(again.adapter())).isEqualTo(uninterrupted);
    }

    @Test
    void accumulatingTwoHalfBatchesStepsLikeOneFullBatch() {
        PeftConfig peft = PeftConfig.lora(4, 8, List.of("q_proj", "v_proj"));
        TrainingConfig full = config(1, 8).withSchedule(Schedule.CONSTANT, 0);
        TrainingConfig halves = full.withBatchSize(4, 2);
        Adapter a = FineTuner.train(job(llama, peft, full).build()).adapter();
        Adapter b = FineTuner.train(job(llama, peft, halves).build()).adapter();
        for (String key : a.tensors().keySet()) {
            float[] x = a.tensors().get(key).values();
            float[] y = b.tensors().get(key).values();
            for (int i = 0; i < x.length; i++) {
                assertThat(y[i]).isCloseTo(x[i], org.assertj.core.data.Offset.offset(1e-5f));
            }
        }
    }

    @Test
    void ffaLoraTrainsOnlyBAndKeepsTheSharedA() {
        PeftConfig ffa = PeftConfig.ffaLora(4, 8, List.of("q_proj", "v_proj"), 5);
        TrainingResult result = FineTuner.train(job(llama, ffa, config(5, 8)).build());
        Adapter adapter = result.adapter();
        try (io.fedtune.trainer.peft.PeftState init = io.fedtune.trainer.peft.PeftState.create(llama, ffa)) {
            String a = PeftKeys.loraA("model.layers.1.self_attn.v_proj");
            String b = PeftKeys.loraB("model.layers.1.self_attn.v_proj");
            assertThat(adapter.tensors().get(a).values())
                    .isEqualTo(init.tensors().get(a).toFloatArray());
            assertThat(adapter.tensors().get(b).values())
                    .isNotEqualTo(init.tensors().get(b).toFloatArray());
        }
        assertThat(result.finalLoss()).isLessThan(result.firstLoss());
    }

    @Test
    void aStrongProximalTermKeepsTheAdapterCloserToTheGlobalOne() {
        PeftConfig peft = PeftConfig.lora(4, 8, List.of("q_proj", "v_proj"));
        Adapter global;
        try (io.fedtune.trainer.peft.PeftState init = io.fedtune.trainer.peft.PeftState.create(llama, peft)) {
            global = init.toAdapter();
        }
        TrainingConfig plain = config(8, 8).withLearningRate(1e-3).withSchedule(Schedule.CONSTANT, 0);
        double free = distance(
                FineTuner.train(job(llama, peft, plain)
                                .optInitialAdapter(global)
                                .build())
                        .adapter(),
                global);
        double prox = distance(
                FineTuner.train(job(llama, peft, plain.withProximalMu(50))
                                .optInitialAdapter(global)
                                .build())
                        .adapter(),
                global);
        assertThat(prox).isLessThan(free * 0.9);
    }

    @Test
    void gpt2AndPromptTuningBothLowerTheLoss() {
        List<TokenizedExample> gptData = Synthetic.examples(gpt2.tokenizer().orElseThrow(), 8);
        TrainingResult gpt = FineTuner.train(TrainingJob.builder()
                .setModel(gpt2)
                .setPeft(PeftConfig.lora(4, 8, List.of("c_attn", "c_proj", "c_fc")))
                .setTrainData(gptData)
                .optConfig(config(15, 8).withLearningRate(1e-2))
                .build());
        assertThat(gpt.finalLoss()).isLessThan(gpt.firstLoss() * 0.8);
        // a random model's attention barely reads the virtual tokens (W_v·W_o gain ≈ 0.03), so the drop is small
        TrainingResult prompt = FineTuner.train(job(
                        llama,
                        PeftConfig.promptTuning(8, "Answer briefly", 3),
                        config(15, 8).withLearningRate(3e-2))
                .build());
        assertThat(prompt.finalLoss()).isLessThan(prompt.firstLoss() - 0.1);
        assertThat(prompt.adapter().tensors()).containsOnlyKeys(PeftKeys.PROMPT_EMBEDDINGS);
    }

    @Test
    void threeHundredStepsLeaveTheLiveNdArrayCountFlat() {
        PeftConfig peft = PeftConfig.lora(2, 4, List.of("q_proj", "v_proj")).withDropout(0.05);
        List<Integer> counts = new ArrayList<>();
        FineTuner.train(TrainingJob.builder()
                .setModel(llama)
                .setPeft(peft)
                .setTrainData(data.subList(0, 2))
                .optHoldoutData(data.subList(2, 4))
                .optConfig(config(300, 2).withProximalMu(0.01))
                .optListener(p -> {
                    if (p.step() == 20 || p.step() == 300) {
                        counts.add(llama.manager()
                                .getParentManager()
                                .getManagedArrays()
                                .size());
                    }
                })
                .build());
        assertThat(counts).hasSize(2);
        assertThat(counts.get(1)).isEqualTo(counts.get(0));
    }

    @Test
    void emptyDataAndIdsOutsideTheVocabularyAreClearErrors() {
        assertThatThrownBy(() -> TrainingJob.builder()
                        .setModel(llama)
                        .setPeft(LORA)
                        .setTrainData(List.of())
                        .build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("empty");
        List<TokenizedExample> bad = List.of(new TokenizedExample(new int[] {1, 2, 999}, 1));
        assertThatThrownBy(() -> FineTuner.train(TrainingJob.builder()
                        .setModel(llama)
                        .setPeft(LORA)
                        .setTrainData(bad)
                        .build()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("token id 999 at position 2");
    }

    @Test
    void schedulesWarmUpThenDecayToZero() {
        assertThat(Schedule.COSINE.rate(1.0, 0, 10, 2)).isEqualTo(0.5);
        assertThat(Schedule.COSINE.rate(1.0, 2, 10, 2)).isEqualTo(1.0);
        assertThat(Schedule.COSINE.rate(1.0, 6, 10, 2)).isCloseTo(0.5, org.assertj.core.data.Offset.offset(1e-9));
        assertThat(Schedule.LINEAR.rate(1.0, 6, 10, 2)).isCloseTo(0.5, org.assertj.core.data.Offset.offset(1e-9));
        assertThat(Schedule.CONSTANT.rate(1.0, 9, 10, 0)).isEqualTo(1.0);
    }

    static double distance(Adapter a, Adapter b) {
        double sum = 0;
        for (String key : a.tensors().keySet()) {
            FloatTensor x = a.tensors().get(key);
            FloatTensor y = b.tensors().get(key);
            for (int i = 0; i < x.size(); i++) {
                double d = x.values()[i] - y.values()[i];
                sum += d * d;
            }
        }
        return Math.sqrt(sum);
    }
}
