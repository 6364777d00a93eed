package io.fedtune.agent.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fedtune.protocol.api.FailureReason;
import io.fedtune.protocol.api.LoraMode;
import io.fedtune.protocol.api.PeftMethod;
import io.fedtune.protocol.api.PeftSpec;
import io.fedtune.protocol.api.TrainingSpec;
import io.fedtune.protocol.safetensors.FloatTensor;
import io.fedtune.trainer.model.LoadOptions;
import io.fedtune.trainer.model.PretrainedModel;
import io.fedtune.trainer.peft.PeftState;
import io.fedtune.trainer.tiny.SyntheticCorpora;
import io.fedtune.trainer.tiny.TinyModelSpec;
import io.fedtune.trainer.tiny.TinyModels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LoraLocalTrainerTests {

    @TempDir
    static Path shared;

    static Path model;
    static Path data;
    static Map<String, FloatTensor> global;

    static final PeftSpec PEFT = new PeftSpec(PeftMethod.LORA, 4, 8, 0, false, List.of("q_proj", "v_proj"), null, 0);

    @BeforeAll
    static void tinyModelAndData() throws Exception {
        System.setProperty("ai.djl.offline", "true");
        model = TinyModels.write(shared.resolve("model"), TinyModelSpec.llama());
        data = SyntheticCorpora.write(shared.resolve("data"), 1, 40, 5).get(0).file();
        try (PretrainedModel loaded = PretrainedModel.load(model, LoadOptions.defaults());
                PeftState state = PeftState.create(loaded, LoraLocalTrainer.peftConfig(PEFT, LoraMode.FEDIT, 99))) {
            global = state.toAdapter().tensors();
        }
    }

    private static LocalTrainingRequest request(LoraMode mode, Path dataFile, Path checkpoints, int maxSteps) {
        return new LocalTrainingRequest(
                UUID.randomUUID(),
                1,
                PEFT,
                new TrainingSpec(1, maxSteps, 4, 1e-2, 0, 64, 0, 1.0),
                mode,
                7,
                global,
                dataFile,
                model,
                checkpoints,
                new TrainerSettings(DeviceChoice.CPU, 0, 2, 0.1, 0));
    }

    @Test
    void trainsTheGlobalAdapterOnTheLocalDataAndItsLossFalls(@TempDir Path checkpoints) throws Exception {
        LocalTrainingResult result = new LoraLocalTrainer()
                .train(request(LoraMode.FEDIT, data, checkpoints, 10), TrainingProgressListener.NONE, new StopSignal());

        assertThat(result.interrupted()).isFalse();
        assertThat(result.steps()).isEqualTo(10);
        assertThat(result.exampleCount()).isEqualTo(36);
        assertThat(result.finalLoss()).isLessThan(result.firstLoss());
        assertThat(result.holdoutLoss()).isFinite().isPositive();
        assertThat(result.adapter().keySet()).isEqualTo(global.keySet());
        String b = "base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight";
        assertThat(result.adapter().get(b)).isNotEqualTo(global.get(b));
    }

    @Test
    void ffaTrainsOnlyBAndKeepsTheGlobalA(@TempDir Path checkpoints) throws Exception {
        LocalTrainingResult result = new LoraLocalTrainer()
                .train(request(LoraMode.FFA, data, checkpoints, 4), TrainingProgressListener.NONE, new StopSignal());

        global.forEach((name, tensor) -> {
            if (name.contains(".lora_A.")) {
                assertThat(result.adapter().get(name)).as(name).isEqualTo(tensor);
            } else {
                assertThat(result.adapter().get(name)).as(name).isNotEqualTo(tensor);
            }
        });
    }

    @Test
    void aStoppedRunCheckpointsAndTheNextRunEndsWhereAnUninterruptedOneWould(@TempDir Path dir) throws Exception {
        LoraLocalTrainer trainer = new LoraLocalTrainer();
        StopSignal stop = new StopSignal();
        LocalTrainingResult first = trainer.train(
                request(LoraMode.FEDIT, data, dir.resolve("a"), 6),
                (step, total, loss, tps, eta) -> {
                    if (step == 3) {
                        stop.requestStop();
                    }
                },
                stop);
        assertThat(first.interrupted()).isTrue();
        assertThat(first.steps()).isEqualTo(3);

        LocalTrainingResult resumed = trainer.train(
                request(LoraMode.FEDIT, data, dir.resolve("a"), 6), TrainingProgressListener.NONE, new StopSignal());
        LocalTrainingResult straight = trainer.train(
                request(LoraMode.FEDIT, data, dir.resolve("b"), 6), TrainingProgressListener.NONE, new StopSignal());

        assertThat(resumed.interrupted()).isFalse();
        assertThat(resumed.steps()).isEqualTo(6);
        assertThat(resumed.adapter()).isEqualTo(straight.adapter());
    }

    @Test
    void aModelLargerThanTheMemoryBudgetIsRefusedWithTheFigures(@TempDir Path checkpoints) {
        LocalTrainingRequest request = request(LoraMode.FEDIT, data, checkpoints, 2);
        LocalTrainingRequest tight = new LocalTrainingRequest(
                request.federationId(),
                request.round(),
                request.peft(),
                request.training(),
                request.loraMode(),
                request.seed(),
                request.globalAdapter(),
                request.dataFile(),
                request.modelDir(),
                request.checkpointDir(),
                new TrainerSettings(DeviceChoice.CPU, 0, 2, 0.1, 10_000));
        assertThatThrownBy(() -> new LoraLocalTrainer().train(tight, TrainingProgressListener.NONE, new StopSignal()))
                .isInstanceOfSatisfying(
                        LocalTrainingException.class,
                        e -> assertThat(e.reason()).isEqualTo(FailureReason.OUT_OF_MEMORY))
                .hasMessageContaining("the weights need")
                .hasMessageContaining("memory budget");
    }

    @Test
    void aMalformedLineIsADataErrorNamingFileAndLine(@TempDir Path dir) throws Exception {
        Path bad = Files.writeString(dir.resolve("bad.jsonl"), "{\"text\":\"fine\"}\n{\"text\": oops}\n");
        assertThatThrownBy(() -> new LoraLocalTrainer()
                        .train(request(LoraMode.FEDIT, bad, dir, 2), TrainingProgressListener.NONE, new StopSignal()))
                .isInstanceOfSatisfying(
                        LocalTrainingException.class,
                        e -> assertThat(e.reason()).isEqualTo(FailureReason.DATA_ERROR))
                .hasMessageContaining("bad.jsonl")
                .hasMessageContaining("2");
    }
}
