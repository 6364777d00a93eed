package io.fedtune.agent.offline;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.Locale;

/**
 * Training progress for a person watching: on a terminal one line redrawn in place (bar, loss, tokens/s, ETA);
 * otherwise (a log file, a pipe) a plain line about every tenth of the run.
 */
final class ProgressBar {

    private static final int WIDTH = 24;

    private final PrintWriter out;
    private final boolean interactive;
    private int lastPrintedStep = -1;
    private int lastLength;

    ProgressBar(PrintWriter out, boolean interactive) {
        this.out = out;
        this.interactive = interactive;
    }

    /** Whether standard output is a terminal a person watches. */
    static boolean onTerminal() {
        return System.console() != null;
    }

    void update(int step, int totalSteps, double loss, double tokensPerSecond, Duration eta) {
        String line = line(step, totalSteps, loss, tokensPerSecond, eta);
        if (interactive) {
            out.print('\r' + line + " ".repeat(Math.max(0, lastLength - line.length())));
            lastLength = line.length();
            out.flush();
            return;
        }
        int every = Math.max(1, totalSteps / 10);
        if (step == 1 || step % every == 0 || step == totalSteps) {
            if (step != lastPrintedStep) {
                out.println(line);
                out.flush();
                lastPrintedStep = step;
            }
        }
    }

    /** Ends the redrawn line so that what follows starts on a fresh one. */
    void finish() {
        if (interactive && lastLength > 0) {
            out.println();
            out.flush();
            lastLength = 0;
        }
    }

    static String line(int step, int totalSteps, double loss, double tokensPerSecond, Duration eta) {
        int total = Math.max(1, totalSteps);
        int filled = (int) Math.min(WIDTH, (long) WIDTH * step / total);
        String bar = "=".repeat(filled) + (filled < WIDTH ? ">" + " ".repeat(WIDTH - filled - 1) : "");
        int width = String.valueOf(total).length();
        return String.format(
                Locale.ROOT,
                "step %" + width + "d/%d [%s] %3d%%  loss %.4f  %,.0f tok/s  ETA %s",
                step,
                total,
                bar,
                100L * step / total,
                loss,
                tokensPerSecond,
                clock(eta));
    }

    static String clock(Duration duration) {
        if (duration == null || duration.isNegative()) {
            return "--:--";
        }
        long seconds = duration.toSeconds();
        return seconds >= 3600
                ? String.format(Locale.ROOT, "%d:%02d:%02d", seconds / 3600, seconds / 60 % 60, seconds % 60)
                : String.format(Locale.ROOT, "%d:%02d", seconds / 60, seconds % 60);
    }
}
