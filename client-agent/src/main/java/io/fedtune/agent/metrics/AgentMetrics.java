package io.fedtune.agent.metrics;

import io.fedtune.agent.RoundEvent;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/** The agent's few numbers, in Prometheus text format for {@link MetricsServer}. */
public final class AgentMetrics {

    private final Map<RoundEvent.Outcome, AtomicLong> rounds = new ConcurrentHashMap<>();
    private final AtomicLong bytesUp = new AtomicLong();
    private final AtomicLong bytesDown = new AtomicLong();
    private final AtomicLong steps = new AtomicLong();
    private final AtomicLong backoffs = new AtomicLong();
    private volatile double lastLoss = Double.NaN;
    private volatile double lastEvalLoss = Double.NaN;
    private volatile double tokensPerSecond = Double.NaN;
    private volatile int currentRound = -1;

    /** Counts a finished task. */
    public void round(RoundEvent event) {
        rounds.computeIfAbsent(event.outcome(), o -> new AtomicLong()).incrementAndGet();
        bytesUp.addAndGet(event.bytesUp());
        bytesDown.addAndGet(event.bytesDown());
        if (Double.isFinite(event.evalLoss())) {
            lastEvalLoss = event.evalLoss();
        }
        currentRound = -1;
    }

    /** Records a training step. */
    public void step(int round, double loss, double tokensPerSecond) {
        steps.incrementAndGet();
        lastLoss = loss;
        this.tokensPerSecond = tokensPerSecond;
        currentRound = round;
    }

    /** Counts a wait after a failed request. */
    public void backoff() {
        backoffs.incrementAndGet();
    }

    public long rounds(RoundEvent.Outcome outcome) {
        AtomicLong count = rounds.get(outcome);
        return count == null ? 0 : count.get();
    }

    /** The metrics in Prometheus text exposition format 0.0.4. */
    public String render() {
        StringBuilder out = new StringBuilder();
        out.append("# HELP fedtune_agent_rounds_total Tasks finished, by outcome.\n");
        out.append("# TYPE fedtune_agent_rounds_total counter\n");
        for (RoundEvent.Outcome outcome : RoundEvent.Outcome.values()) {
            out.append("fedtune_agent_rounds_total{outcome=\"")
                    .append(outcome.name().toLowerCase(Locale.ROOT))
                    .append("\"} ")
                    .append(rounds(outcome))
                    .append('\n');
        }
        counter(out, "fedtune_agent_upload_bytes_total", "Bytes of updates uploaded.", bytesUp.get());
        counter(out, "fedtune_agent_download_bytes_total", "Bytes of global adapters downloaded.", bytesDown.get());
        counter(out, "fedtune_agent_training_steps_total", "Local optimizer steps.", steps.get());
        counter(out, "fedtune_agent_backoffs_total", "Waits after failed requests.", backoffs.get());
        gauge(out, "fedtune_agent_train_loss", "The last training step's loss.", lastLoss);
        gauge(out, "fedtune_agent_eval_loss", "The last local holdout loss.", lastEvalLoss);
        gauge(out, "fedtune_agent_tokens_per_second", "Training throughput of the last step.", tokensPerSecond);
        gauge(out, "fedtune_agent_current_round", "The round being trained, -1 when idle.", currentRound);
        return out.toString();
    }

    private static void counter(StringBuilder out, String name, String help, long value) {
        out.append("# HELP ").append(name).append(' ').append(help).append('\n');
        out.append("# TYPE ").append(name).append(" counter\n");
        out.append(name).append(' ').append(value).append('\n');
    }

    private static void gauge(StringBuilder out, String name, String help, double value) {
        out.append("# HELP ").append(name).append(' ').append(help).append('\n');
        out.append("# TYPE ").append(name).append(" gauge\n");
        out.append(name)
                .append(' ')
                .append(Double.isNaN(value) ? "NaN" : Double.toString(value))
                .append('\n');
    }
}
