package io.fedtune.agent.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.fedtune.agent.RoundEvent;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class ProgressBarTests {

    @Test
    void drawsStepLossThroughputAndEtaOnOneLineThenTheRoundsSummary() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        ProgressBar bar = new ProgressBar(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        bar.onStep(5, 20, 1.23456, 812.4, Duration.ofSeconds(75));
        bar.onRound(new RoundEvent(
                UUID.randomUUID(),
                2,
                RoundEvent.Outcome.UPLOADED,
                1.2,
                1.4,
                30,
                20,
                4096,
                8192,
                Duration.ofSeconds(9),
                "ok"));
        String out = bytes.toString(StandardCharsets.UTF_8);
        assertThat(out)
                .startsWith("\r")
                .contains("[#######.......................] 5/20 loss 1.2346 812 tok/s ETA 0:01:15")
                .contains("round 2: uploaded, train loss 1.2000, holdout loss 1.4000, 4096 B up, 8192 B down");
    }
}
