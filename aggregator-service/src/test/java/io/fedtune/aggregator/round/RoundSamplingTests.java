package io.fedtune.aggregator.round;

import static org.assertj.core.api.Assertions.assertThat;

import io.fedtune.protocol.api.ClientSelection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** Which live clients a round samples: as many as min / fraction / max allow, reproducible from the seed. */
class RoundSamplingTests {

    private static List<UUID> live(int n) {
        return IntStream.range(0, n).mapToObj(i -> new UUID(0x5eed, i)).toList();
    }

    private static List<UUID> sample(ClientSelection selection, List<UUID> live, long seed, int number, int attempt) {
        return RoundEngine.sample(selection, live, RoundEngine.roundRandom(seed, number, attempt));
    }

    @Test
    void theSameSeedRoundAndLiveClientsDrawTheSameSample() {
        ClientSelection selection = new ClientSelection(2, 0.3, 5);
        List<UUID> live = live(20);
        List<UUID> first = sample(selection, live, 7, 3, 1);
        assertThat(first).hasSize(5);
        assertThat(sample(selection, live, 7, 3, 1)).isEqualTo(first);
    }

    @Test
    void theSampleHasMinimumFractionOrMaximumManyDistinctLiveClients() {
        ClientSelection selection = new ClientSelection(3, 0.25, 6);
        assertThat(sample(selection, live(2), 1, 1, 1))
                .as("fewer live than the minimum")
                .isEmpty();
        assertThat(sample(selection, live(3), 1, 1, 1))
                .as("exactly the minimum")
                .hasSize(3);
        assertThat(sample(selection, live(4), 1, 1, 1))
                .as("a quarter of 4 is below the minimum")
                .hasSize(3);
        assertThat(sample(selection, live(16), 1, 1, 1)).as("a quarter of 16").hasSize(4);
        assertThat(sample(selection, live(17), 1, 1, 1))
                .as("a quarter of 17, rounded up")
                .hasSize(5);
        assertThat(sample(selection, live(40), 1, 1, 1))
                .as("a quarter of 40 is above the maximum")
                .hasSize(6);
        for (int n = 3; n <= 40; n++) {
            List<UUID> live = live(n);
            assertThat(sample(selection, live, n, 2, 1))
                    .as("%d live", n)
                    .doesNotHaveDuplicates()
                    .isSubsetOf(live);
        }
    }

    @Test
    void anotherSeedRoundOrAttemptDrawsAnotherSample() {
        ClientSelection selection = new ClientSelection(2, 0.25, 5);
        List<UUID> live = live(20);
        Set<UUID> sample = Set.copyOf(sample(selection, live, 7, 1, 1));
        assertThat(Set.copyOf(sample(selection, live, 8, 1, 1))).as("seed").isNotEqualTo(sample);
        assertThat(Set.copyOf(sample(selection, live, 7, 2, 1))).as("round").isNotEqualTo(sample);
        assertThat(Set.copyOf(sample(selection, live, 7, 1, 2))).as("attempt").isNotEqualTo(sample);
    }

    @Test
    void overManyRoundsEveryLiveClientIsSampled() {
        ClientSelection selection = new ClientSelection(2, 0.1, 3);
        List<UUID> live = live(30);
        Set<UUID> drawn = new HashSet<>();
        for (int number = 1; number <= 100; number++) {
            drawn.addAll(sample(selection, live, 11, number, 1));
        }
        assertThat(drawn).containsExactlyInAnyOrderElementsOf(live);
    }
}
