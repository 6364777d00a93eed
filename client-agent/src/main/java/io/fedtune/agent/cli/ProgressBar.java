package io.fedtune.agent.cli;

import io.fedtune.agent.AgentListener;
import io.fedtune.agent.RoundEvent;
import io.fedtune.protocol.api.TaskView;
import java.io.PrintStream;
import java.time.Duration;
import java.util.Locale;

/** Draws a one-line progress bar (step, loss, tokens/s, ETA) on a terminal. */
final class ProgressBar implements AgentListener {

    private static final int WIDTH = 30;
    private final PrintStream out;
    private int round;

    ProgressBar(PrintStream out) {
        this.out = out;
    }

    @Override
    public void onTask(TaskView task) {
        round = task.round();
        out.printf(Locale.ROOT, "round %d: training (deadline %s)%n", task.round(), task.deadline());
    }

    @Override
    public void onStep(int step, int totalSteps, double loss, double tokensPerSecond, Duration eta) {
        int filled = totalSteps <= 0 ? 0 : (int) Math.min(WIDTH, (long) WIDTH * step / totalSteps);
        out.printf(
                Locale.ROOT,
                "\rround %d [%s%s] %d/%d loss %.4f %.0f tok/s ETA %s   ",
                round,
                "#".repeat(filled),
                ".".repeat(WIDTH - filled),
                step,
                totalSteps,
                loss,
                tokensPerSecond,
                format(eta));
        out.flush();
    }

    @Override
    public void onRound(RoundEvent event) {
        out.printf(
                Locale.ROOT,
                "%nround %d: %s, train loss %.4f, holdout loss %.4f, %d B up, %d B down%n",
                event.round(),
                event.outcome().name().toLowerCase(Locale.ROOT),
                event.trainLoss(),
                event.evalLoss(),
                event.bytesUp(),
                event.bytesDown());
    }

    @Override
    public void onNotice(String message) {
        out.println();
        out.println(message);
    }

    static String format(Duration eta) {
        if (eta == null || eta.isNegative()) {
            return "?";
        }
        long s = eta.toSeconds();
        return String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, (s / 60) % 60, s % 60);
    }
}
