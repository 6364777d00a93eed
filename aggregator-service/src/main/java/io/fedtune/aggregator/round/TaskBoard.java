package io.fedtune.aggregator.round;

import io.fedtune.aggregator.federation.Federation;
import io.fedtune.aggregator.federation.FederationService;
import io.fedtune.aggregator.system.AggregatorProperties;
import io.fedtune.protocol.api.FederationConfig;
import io.fedtune.protocol.api.TaskView;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.springframework.context.SmartLifecycle;
import org.springframework.http.ResponseEntity;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import org.springframework.web.context.request.async.DeferredResult;

/**
 * Long polls for tasks without a servlet thread per waiting agent: each poll is a {@link DeferredResult}, and one
 * background thread per replica asks the database every {@code longPollCheckInterval} for open assignments of all
 * waiting clients at once, so an assignment written by any replica reaches the agent within that interval.
 */
@Component
class TaskBoard implements SmartLifecycle, AutoCloseable {

    private final JdbcClient jdbc;
    private final FederationService federations;
    private final AdapterStore adapters;
    private final Map<UUID, List<DeferredResult<ResponseEntity<TaskView>>>> waiting = new ConcurrentHashMap<>();
    private final ScheduledExecutorService poller;
    private volatile boolean running;

    TaskBoard(JdbcClient jdbc, FederationService federations, AdapterStore adapters, AggregatorProperties properties) {
        this.jdbc = jdbc;
        this.federations = federations;
        this.adapters = adapters;
        this.poller = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread thread = new Thread(r, "fedtune-task-poller");
            thread.setDaemon(true);
            return thread;
        });
        long every = properties.longPollCheckInterval().toMillis();
        poller.scheduleWithFixedDelay(this::check, every, every, TimeUnit.MILLISECONDS);
    }

    /** Answers at once when a task is open, else within {@code wait} (204 when none came). */
    DeferredResult<ResponseEntity<TaskView>> next(UUID clientId, Duration wait) {
        DeferredResult<ResponseEntity<TaskView>> result = new DeferredResult<>(
                wait.toMillis(), () -> ResponseEntity.noContent().build());
        Optional<TaskView> now = find(clientId);
        if (now.isPresent() || wait.isZero() || !running) {
            result.setResult(now.map(ResponseEntity::ok)
                    .orElseGet(() -> ResponseEntity.noContent().build()));
            return result;
        }
        List<DeferredResult<ResponseEntity<TaskView>>> list =
                waiting.computeIfAbsent(clientId, id -> new CopyOnWriteArrayList<>());
        list.add(result);
        Runnable remove = () -> list.remove(result);
        result.onCompletion(remove);
        result.onTimeout(remove);
        result.onError(e -> remove.run());
        return result;
    }

    private void check() {
        try {
            waiting.entrySet().removeIf(e -> e.getValue().isEmpty());
            if (waiting.isEmpty()) {
                return;
            }
            List<UUID> ids = new ArrayList<>(waiting.keySet());
            List<UUID> ready = jdbc.sql("SELECT a.client_id FROM assignment a JOIN round r ON r.id = a.round_id"
                            + " WHERE a.client_id IN (:ids) AND a.status IN ('ASSIGNED', 'DOWNLOADED')"
                            + " AND r.status = 'COLLECTING'")
                    .param("ids", ids)
                    .query(UUID.class)
                    .list();
            for (UUID id : ready) {
                List<DeferredResult<ResponseEntity<TaskView>>> list = waiting.remove(id);
                if (list == null) {
                    continue;
                }
                Optional<TaskView> task = find(id);
                for (DeferredResult<ResponseEntity<TaskView>> result : list) {
                    result.setResult(task.map(ResponseEntity::ok)
                            .orElseGet(() -> ResponseEntity.noContent().build()));
                }
            }
        } catch (RuntimeException e) {
            org.slf4j.LoggerFactory.getLogger(TaskBoard.class).warn("Task poll failed: {}", e.toString());
        }
    }

    /** The client's open task, if any. */
    Optional<TaskView> find(UUID clientId) {
        record Open(
                UUID federationId, int number, int attempt, int baseVersion, java.time.Instant deadline, long seed) {}
        Optional<Open> open = jdbc.sql("SELECT r.federation_id, r.number, r.attempt, r.base_version, r.deadline, a.seed"
                        + " FROM assignment a JOIN round r ON r.id = a.round_id"
                        + " WHERE a.client_id = ? AND a.status IN ('ASSIGNED', 'DOWNLOADED') AND r.status = 'COLLECTING'"
                        + " ORDER BY r.id DESC LIMIT 1")
                .param(clientId)
                .query((rs, n) -> new Open(
                        rs.getObject(1, UUID.class),
                        rs.getInt(2),
                        rs.getInt(3),
                        rs.getInt(4),
                        rs.getTimestamp(5).toInstant(),
                        rs.getLong(6)))
                .optional();
        if (open.isEmpty()) {
            return Optional.empty();
        }
        Open o = open.get();
        Federation federation = federations.get(o.federationId());
        FederationConfig config = federation.config();
        AdapterVersion adapter =
                adapters.find(o.federationId(), o.baseVersion()).orElseThrow();
        String roundPath = "/api/v1/agent/federations/" + o.federationId() + "/rounds/" + o.number();
        return Optional.of(new TaskView(
                o.federationId(),
                o.number(),
                o.attempt(),
                adapter.view(),
                config.peft(),
                config.training(),
                config.strategy().loraMode(),
                config.codec(),
                o.deadline(),
                o.seed(),
                roundPath + "/update",
                roundPath + "/failure",
                config.privacy()));
    }

    @Override
    public void start() {
        running = true;
    }

    /**
     * Answers every waiting poll with 204 before the web server's graceful shutdown begins (this runs in a later
     * phase), so a stopping replica does not hold its shutdown for a long-poll; the agents poll again, elsewhere.
     */
    @Override
    public void stop() {
        running = false;
        waiting.values()
                .forEach(list -> list.forEach(
                        result -> result.setResult(ResponseEntity.noContent().build())));
        waiting.clear();
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    @Override
    public void close() {
        poller.shutdownNow();
    }
}
