package io.fedtune.trainer.generate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class TokenSamplerTests {

    private static final float[] LOGITS = {0.1f, 3f, -1f, 2.5f, 2.9f, Float.NaN, -0f};

    @Test
    void greedyPicksTheLargestLogitAndTheLowestIndexOnTies() {
        assertThat(new TokenSampler(GenerationConfig.greedy(1)).next(LOGITS)).isEqualTo(1);
        assertThat(TokenSampler.argmax(new float[] {1f, 5f, 5f})).isEqualTo(1);
        assertThat(TokenSampler.argmax(new float[] {Float.NaN, -5f})).isEqualTo(1);
    }

    @Test
    void ranksByLogitLargestFirst() {
        assertThat(TokenSampler.rankDescending(LOGITS, 0)).containsExactly(1, 4, 3, 0, 6, 2, 5);
        assertThat(TokenSampler.rankDescending(LOGITS, 3)).containsExactly(1, 4, 3);
        assertThat(TokenSampler.rankDescending(new float[] {-1f, -3f, 0f, 0f}, 0))
                .containsExactly(2, 3, 0, 1);
    }

    @Test
    void topKSamplesOnlyAmongTheKMostLikely() {
        TokenSampler sampler = new TokenSampler(GenerationConfig.greedy(1).withSampling(5.0, 2, 1.0, 3));

        Set<Integer> seen = draw(sampler, 500);

        assertThat(seen).containsExactlyInAnyOrder(1, 4);
    }

    @Test
    void topPKeepsTheSmallestSetReachingTheProbabilityMass() {
        // probabilities at temperature 1: 0.5, 0.3, 0.2 (logits are their logs)
        float[] logits = {(float) Math.log(0.2), (float) Math.log(0.5), (float) Math.log(0.3)};

        assertThat(draw(new TokenSampler(GenerationConfig.greedy(1).withSampling(1, 0, 0.75, 1)), logits, 500))
                .containsExactlyInAnyOrder(1, 2);
        assertThat(draw(new TokenSampler(GenerationConfig.greedy(1).withSampling(1, 0, 0.4, 1)), logits, 200))
                .containsExactly(1);
        assertThat(draw(new TokenSampler(GenerationConfig.greedy(1).withSampling(1, 0, 1.0, 1)), logits, 500))
                .containsExactlyInAnyOrder(0, 1, 2);
    }

    @Test
    void samplesInProportionToTheSoftmaxAtTheTemperature() {
        float[] logits = {0f, (float) Math.log(3)};
        TokenSampler sampler = new TokenSampler(GenerationConfig.greedy(1).withSampling(1, 0, 1, 11));
        int ones = 0;
        for (int i = 0; i < 20_000; i++) {
            ones += sampler.next(logits);
        }
        assertThat(ones / 20_000.0).isBetween(0.73, 0.77);

        TokenSampler hot = new TokenSampler(GenerationConfig.greedy(1).withSampling(1000, 0, 1, 11));
        int hotOnes = 0;
        for (int i = 0; i < 20_000; i++) {
            hotOnes += hot.next(logits);
        }
        assertThat(hotOnes / 20_000.0).isBetween(0.48, 0.52);
    }

    @Test
    void theSameSeedDrawsTheSameTokens() {
        GenerationConfig config = GenerationConfig.greedy(1).withSampling(2, 0, 1, 42);
        TokenSampler a = new TokenSampler(config);
        TokenSampler b = new TokenSampler(config);
        TokenSampler c = new TokenSampler(config.withSampling(2, 0, 1, 43));
        int[] first = new int[50];
        int[] second = new int[50];
        int[] other = new int[50];
        for (int i = 0; i < 50; i++) {
            first[i] = a.next(LOGITS);
            second[i] = b.next(LOGITS);
            other[i] = c.next(LOGITS);
        }
        assertThat(first).isEqualTo(second).isNotEqualTo(other);
    }

    @Test
    void rejectsSettingsOutOfRange() {
        assertThatThrownBy(() -> GenerationConfig.greedy(0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> GenerationConfig.greedy(1).withSampling(-1, 0, 1, 0))
                .hasMessageContaining("temperature");
        assertThatThrownBy(() -> GenerationConfig.greedy(1).withSampling(1, -1, 1, 0))
                .hasMessageContaining("topK");
        assertThatThrownBy(() -> GenerationConfig.greedy(1).withSampling(1, 0, 0, 0))
                .hasMessageContaining("topP");
        assertThat(GenerationConfig.greedy(3).withStopTokens(List.of(2)).stopTokens())
                .containsExactly(2);
    }

    private static Set<Integer> draw(TokenSampler sampler, int times) {
        return draw(sampler, LOGITS, times);
    }

    private static Set<Integer> draw(TokenSampler sampler, float[] logits, int times) {
        Set<Integer> seen = new HashSet<>();
        for (int i = 0; i < times; i++) {
            seen.add(sampler.next(logits));
        }
        return seen;
    }
}
