package io.fedtune.agent.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import org.junit.jupiter.api.Test;

class AggregatorClientResolveTests {

    private static final URI SERVER = URI.create("https://fedtune.example.org/");

    @Test
    void relativePathsAndAbsoluteUrlsOfTheEnrolledServerResolve() {
        assertThat(AggregatorClient.resolve(SERVER, "/api/v1/agent/tasks/next"))
                .isEqualTo(URI.create("https://fedtune.example.org/api/v1/agent/tasks/next"));
        assertThat(AggregatorClient.resolve(SERVER, "https://fedtune.example.org:443/api/v1/x"))
                .isEqualTo(URI.create("https://fedtune.example.org:443/api/v1/x"));
    }

    @Test
    void anAbsoluteUrlOfAnotherOriginIsRefusedSoTheTokenNeverGoesThere() {
        for (String elsewhere : new String[] {
            "https://attacker.example.net/api/v1/x",
            "http://fedtune.example.org/api/v1/x",
            "https://fedtune.example.org:8443/x"
        }) {
            assertThatThrownBy(() -> AggregatorClient.resolve(SERVER, elsewhere))
                    .as(elsewhere)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("not the enrolled server");
        }
    }
}
