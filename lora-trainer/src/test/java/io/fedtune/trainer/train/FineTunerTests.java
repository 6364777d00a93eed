package io.fedtune.trainer.train;

import static org.assertj.core.api.Assertions.assertThat;

import io.fedtune.protocol.peft.LoraTargets;
import io.fedtune.trainer.data.TokenizedExample;
import io.fedtune.trainer.eval.Evaluator;
import io.fedtune.trainer.model.LoadOptions;
import io.fedtune.trainer.model.PretrainedModel;
import io.fedtune.trainer.peft.PeftConfig;
import io.fedtune.trainer.testing.Synthetic;
import io.fedtune.trainer.tiny.TinyModelSpec;
import io.fedtune.trainer.tiny.TinyModels;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FineTunerTests {
    @TempDir
    static Path tmp;

    static PretrainedModel llama;
    static List<TokenizedExample> data;

    @BeforeAll
    static void load() {
        llama = PretrainedModel.load(
                TinyModels.write(tmp.resolve("llama"), TinyModelSpec.llama()), LoadOptions.defaults());
        data = Synthetic.examples(llama.tokenizer().orElseThrow(), 8);
    }

    @AfterAll
    static void close() {
        llama.close();
    }

    static TrainingConfig fast(int steps) {
        return TrainingConfig.defaults()
                .withMaxSteps(steps)
                .withBatchSize(8, 1)
                .withLearningRate(1e-2)
                .withSchedule(Schedule.CONSTANT, 0);
    }

    @Test
    void fiftyStepsOfLoraAtLeastHalveTheTrainingLossAndLeaveTheBaseWeightsBitIdentical() {
        String before = llama.weightsDigest();
        double baseLoss = Evaluator.evaluate(llama, (io.fedtune.trainer.peft.Adapter) null, data, 8)
                .loss();
        List<TrainingProgress> progress = new ArrayList<>();
        TrainingResult result = FineTuner.train(TrainingJob.builder()
                .setModel(llama)
                .setPeft(PeftConfig.lora(8, 16, List.copyOf(LoraTargets.LLAMA)))
                .setTrainData(data)
                .optHoldoutData(data)
                .optConfig(fast(50))
                .optListener(progress::add)
                .build());
        assertThat(result.steps()).isEqualTo(50);
        assertThat(result.firstLoss()).isCloseTo(baseLoss, org.assertj.core.data.Offset.offset(1e-3));
        assertThat(result.finalLoss()).isLessThan(result.firstLoss() / 2);
        assertThat(result.holdoutLoss().orElseThrow()).isLessThan(baseLoss / 2);
        assertThat(progress).hasSize(50);
        assertThat(progress.get(49).tokensPerSecond()).isPositive();
        assertThat(llama.weightsDigest()).isEqualTo(before);
        assertThat(Evaluator.evaluate(llama, result.adapter(), data, 8).loss())
                .isCloseTo(result.holdoutLoss().orElseThrow(), org.assertj.core.data.Offset.offset(1e-4));
    }
}
