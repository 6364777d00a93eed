package io.fedtune.trainer.generate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fedtune.protocol.peft.LoraTargets;
import io.fedtune.trainer.model.LoadOptions;
import io.fedtune.trainer.model.PretrainedModel;
import io.fedtune.trainer.peft.PeftConfig;
import io.fedtune.trainer.peft.PeftState;
import io.fedtune.trainer.tiny.TinyModelSpec;
import io.fedtune.trainer.tiny.TinyModels;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GeneratorTests {

    @TempDir
    static Path dir;

    private static PretrainedModel llama;
    private static PretrainedModel gpt2;

    private static final int[] PROMPT = {5, 17, 42, 99, 3};

    @BeforeAll
    static void loadModels() {
        llama = PretrainedModel.load(
                TinyModels.write(dir.resolve("llama"), TinyModelSpec.llama()), LoadOptions.defaults());
        gpt2 = PretrainedModel.load(
                TinyModels.write(dir.resolve("gpt2"), TinyModelSpec.gpt2()), LoadOptions.defaults());
    }

    @AfterAll
    static void closeModels() {
        llama.close();
        gpt2.close();
    }

    @Test
    void cachedAndUncachedGreedyDecodingGiveTheSameTokens() {
        for (PretrainedModel model : List.of(llama, gpt2)) {
            GenerationConfig config = GenerationConfig.greedy(24);

            int[] cached = Generator.generate(model, null, PROMPT, config);
            int[] uncached = Generator.generate(model, null, PROMPT, config.withCache(false));

            assertThat(cached).hasSize(24).isEqualTo(uncached);
        }
    }

    @Test
    void cachedAndUncachedSamplingGiveTheSameTokensForOneSeed() {
        GenerationConfig config = GenerationConfig.greedy(16).withSampling(0.9, 40, 0.95, 7);

        int[] cached = Generator.generate(llama, null, PROMPT, config);
        int[] uncached = Generator.generate(llama, null, PROMPT, config.withCache(false));
        int[] otherSeed = Generator.generate(llama, null, PROMPT, config.withSampling(0.9, 40, 0.95, 8));

        assertThat(cached).hasSize(16).isEqualTo(uncached).isNotEqualTo(otherSeed);
    }

    @Test
    void theFirstGreedyTokenIsTheArgmaxOfTheLastLogits() {
        float[][] logits = llama.logits(PROMPT);

        int[] tokens = Generator.generate(llama, null, PROMPT, GenerationConfig.greedy(1));

        assertThat(tokens).containsExactly(TokenSampler.argmax(logits[PROMPT.length - 1]));
    }

    @Test
    void stopsAtAStopTokenWithoutReturningIt() {
        int[] free = Generator.generate(llama, null, PROMPT, GenerationConfig.greedy(8));
        int stop = free[3];

        int[] stopped = Generator.generate(
                llama, null, PROMPT, GenerationConfig.greedy(8).withStopTokens(List.of(stop)));

        int firstStop = 0;
        while (free[firstStop] != stop) {
            firstStop++;
        }
        assertThat(stopped).isEqualTo(java.util.Arrays.copyOf(free, firstStop));
    }

    @Test
    void cachedAndUncachedDecodingAgreeWithALoraAndAPromptTuningState() {
        PeftConfig lora = PeftConfig.lora(4, 8, LoraTargets.LLAMA_DEFAULT);
        PeftConfig prompt = PeftConfig.promptTuning(3, null, 5);
        for (PeftConfig peftConfig : List.of(lora, prompt)) {
            try (PeftState state = PeftState.create(llama, peftConfig)) {
                int[] cached = Generator.generate(llama, state, PROMPT, GenerationConfig.greedy(12));
                int[] uncached = Generator.generate(
                        llama, state, PROMPT, GenerationConfig.greedy(12).withCache(false));

                assertThat(cached).as(peftConfig.kind().name()).hasSize(12).isEqualTo(uncached);
            }
        }
    }

    @Test
    void handsOverEachTokenAsItIsChosen() {
        List<Integer> streamed = new java.util.ArrayList<>();

        int[] tokens = Generator.generate(llama, null, PROMPT, GenerationConfig.greedy(6), streamed::add);

        assertThat(streamed)
                .containsExactly(java.util.Arrays.stream(tokens).boxed().toArray(Integer[]::new));
    }

    @Test
    void stopsWhenTheContextIsFull() {
        int context = llama.config().maxPositions();
        int[] longPrompt = new int[context - 2];
        java.util.Arrays.fill(longPrompt, 7);

        assertThat(Generator.generate(llama, null, longPrompt, GenerationConfig.greedy(10)))
                .hasSize(2);
    }

    @Test
    void rejectsPromptsOutsideTheVocabularyOrContext() {
        int vocab = llama.config().vocabSize();

        assertThatThrownBy(() -> Generator.generate(llama, null, new int[] {1, vocab}, GenerationConfig.greedy(2)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("token id " + vocab);
        assertThatThrownBy(() -> Generator.generate(llama, null, new int[0], GenerationConfig.greedy(2)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Generator.generate(
                        llama, null, new int[llama.config().maxPositions() + 1], GenerationConfig.greedy(2)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("context");
    }
}
