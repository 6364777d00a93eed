package io.fedtune.aggregator.round;

import io.fedtune.aggregator.federation.Federation;
import io.fedtune.aggregator.federation.FederationRepository;
import io.fedtune.aggregator.system.AggregatorProperties;
import io.fedtune.aggregator.system.StateMachines;
import io.fedtune.protocol.api.ClientSelection;
import io.fedtune.protocol.api.FailurePolicy;
import io.fedtune.protocol.api.FederationConfig;
import io.fedtune.protocol.api.FederationStatus;
import io.fedtune.protocol.api.RoundStatus;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.lang.management.ManagementFactory;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionTemplate;
import tools.jackson.databind.json.JsonMapper;

/**
 * The round lifecycle, driven from PostgreSQL so that any replica may run any step and a crash anywhere loses
 * nothing.
 *
 * <p>Every replica ticks. A tick visits each RUNNING federation under {@code SELECT … FOR UPDATE SKIP LOCKED} (one
 * replica at a time per federation, the others skip it) and moves it one step: open the next round by sampling live
 * clients with the federation's seed; close a collecting round on quorum (every sampled client submitted or
 * failed) or at its deadline (expiring open assignments), to AGGREGATING with at least the minimum, to FAILED
 * otherwise (then the federation fails or the round is retried, by policy); complete the federation after its last
 * round. Aggregation itself runs outside that transaction: a replica claims the round with one conditional
 * {@code UPDATE} (a lease, taken over only when expired), aggregates, and commits the result only if its claim still
 * holds, so each round's result is committed exactly once. Uploads bump the round's version while it collects, so
 * a close that raced an upload retries at the next tick and never drops an accepted update.
 */
@Component
public class RoundEngine {

    private static final Logger log = LoggerFactory.getLogger(RoundEngine.class);

    private final JdbcClient jdbc;
    private final FederationRepository federations;
    private final AdapterStore adapters;
    private final RoundAggregator aggregator;
    private final RoundCloser closer;
    private final AggregatorProperties properties;
    private final TransactionTemplate tx;
    private final Clock clock;
    private final JsonMapper json;
    private final MeterRegistry meters;
    private final String replica;
    private final AtomicLong liveClients = new AtomicLong();

    RoundEngine(
            JdbcClient jdbc,
            FederationRepository federations,
            AdapterStore adapters,
            RoundAggregator aggregator,
            RoundCloser closer,
            AggregatorProperties properties,
            TransactionTemplate tx,
            Clock clock,
            JsonMapper json,
            MeterRegistry meters) {
        this.jdbc = jdbc;
        this.federations = federations;
        this.adapters = adapters;
        this.aggregator = aggregator;
        this.closer = closer;
        this.properties = properties;
        this.tx = tx;
        this.clock = clock;
        this.json = json;
        this.meters = meters;
        this.replica = ManagementFactory.getRuntimeMXBean().getName() + "/" + UUID.randomUUID();
        meters.gauge("fedtune.clients.live", liveClients);
    }

    /** This replica's identity in claims. */
    public String replica() {
        return replica;
    }

    @Scheduled(
            fixedDelayString = "${fedtune.aggregator.tick-interval:PT1S}",
            initialDelayString = "${fedtune.aggregator.tick-interval:PT1S}")
    void scheduledTick() {
        if (!properties.schedulingEnabled()) {
            return;
        }
        try {
            tick();
        } catch (RuntimeException e) {
            log.warn("Round tick failed; the next tick retries: {}", e.toString(), e);
        }
    }

    /** One pass over every running federation; also the entry point tests drive by hand. */
    public void tick() {
        liveClients.set(jdbc.sql("SELECT count(*) FROM client WHERE status = 'ACTIVE' AND last_seen_at >= ?")
                .param(Timestamp.from(clock.instant().minus(properties.livenessWindow())))
                .query(Long.class)
                .single());
        for (UUID id : federations.runningIds()) {
            for (int step = 0; step < 4; step++) {
                Optional<Round> aggregating = tx.execute(status -> advance(id));
                if (aggregating == null || aggregating.isEmpty()) {
                    break;
                }
                if (!aggregate(aggregating.get())) {
                    break;
                }
            }
        }
    }

    /** Moves one federation one step; returns the round to aggregate when it is AGGREGATING. */
    private Optional<Round> advance(UUID federationId) {
        Optional<Federation> locked = federations.lockIfFree(federationId);
        if (locked.isEmpty() || locked.get().status() != FederationStatus.RUNNING) {
            return Optional.empty();
        }
        Federation federation = locked.get();
        FederationConfig config = federation.config();
        Instant now = clock.instant();
        Optional<Round> latest = jdbc.sql(
                        "SELECT * FROM round WHERE federation_id = ? ORDER BY number DESC, attempt DESC LIMIT 1")
                .param(federationId)
                .query(Round::map)
                .optional();
        if (latest.isEmpty() || latest.get().status() == RoundStatus.COMPLETED) {
            int done = latest.map(Round::number).orElse(0);
            if (done >= config.rounds().count()) {
                complete(federation, FederationStatus.COMPLETED, null);
                return Optional.empty();
            }
            int base = latest.map(r -> r.adapterVersion()).orElse(0);
            open(federation, done + 1, 1, base, now);
            return Optional.empty();
        }
        Round round = latest.get();
        switch (round.status()) {
            case COLLECTING -> {
                return closeIfDue(federation, round, now);
            }
            case AGGREGATING -> {
                return Optional.of(round);
            }
            case FAILED -> {
                if (config.rounds().onFailure() == FailurePolicy.RETRY_ROUND
                        && round.attempt() <= config.rounds().maxRetries()) {
                    open(federation, round.number(), round.attempt() + 1, round.baseVersion(), now);
                } else {
                    complete(
                            federation,
                            FederationStatus.FAILED,
                            "round " + round.number() + " failed: " + round.failureReason());
                }
                return Optional.empty();
            }
            default -> {
                return Optional.empty();
            }
        }
    }

    /** The random source of one attempt of a round: a function of the federation's seed, the number and the attempt. */
    static Random roundRandom(long seed, int number, int attempt) {
        return new Random(seed * 1_000_003L + number * 7919L + attempt);
    }

    /**
     * The clients a round samples: {@link ClientSelection#sampleSize} of the {@code live} ones (given in a stable
     * order), drawn by shuffling them with {@code random}; empty when fewer than the minimum are live.
     */
    static List<UUID> sample(ClientSelection selection, List<UUID> live, Random random) {
        int size = selection.sampleSize(live.size());
        if (size == 0) {
            return List.of();
        }
        List<UUID> sample = new ArrayList<>(live);
        Collections.shuffle(sample, random);
        return List.copyOf(sample.subList(0, size));
    }

    private void open(Federation federation, int number, int attempt, int baseVersion, Instant now) {
        FederationConfig config = federation.config();
        // ordered by name (unique in a federation), not by the random id: the same seed and the same clients draw the
        // same sample and hand each client the same training seed in every replay of a federation
        List<UUID> live = jdbc.sql("SELECT id FROM client WHERE federation_id = ? AND status = 'ACTIVE'"
                        + " AND last_seen_at >= ? ORDER BY name")
                .params(federation.id(), Timestamp.from(now.minus(properties.livenessWindow())))
                .query(UUID.class)
                .list();
        Random random = roundRandom(config.seed(), number, attempt);
        List<UUID> sample = sample(config.clients(), live, random);
        if (sample.isEmpty()) {
            return; // too few live clients: wait for more
        }
        int size = sample.size();
        Instant deadline = now.plus(config.rounds().deadline());
        long roundId = jdbc.sql("INSERT INTO round (federation_id, number, attempt, status, base_version, opened_at,"
                        + " deadline, sampled, min_clients) VALUES (?, ?, ?, 'COLLECTING', ?, ?, ?, ?, ?) RETURNING id")
                .params(
                        federation.id(),
                        number,
                        attempt,
                        baseVersion,
                        Timestamp.from(now),
                        Timestamp.from(deadline),
                        size,
                        config.clients().minClients())
                .query(Long.class)
                .single();
        for (UUID client : sample) {
            jdbc.sql("INSERT INTO assignment (round_id, client_id, status, seed, assigned_at)"
                            + " VALUES (?, ?, 'ASSIGNED', ?, ?)")
                    .params(roundId, client, random.nextLong(), Timestamp.from(now))
                    .update();
        }
        federations.recordProgress(federation.id(), number, null, now);
        log.info(
                "Federation {} round {} (attempt {}) opened with {} of {} live clients",
                federation.name(),
                number,
                attempt,
                size,
                live.size());
    }

    private Optional<Round> closeIfDue(Federation federation, Round round, Instant now) {
        int open = jdbc.sql(
                        "SELECT count(*) FROM assignment WHERE round_id = ? AND status IN ('ASSIGNED', 'DOWNLOADED')")
                .param(round.id())
                .query(Integer.class)
                .single();
        boolean pastDeadline = !now.isBefore(round.deadline());
        if (open > 0 && !pastDeadline) {
            return Optional.empty();
        }
        if (round.submitted() >= round.minClients()) {
            if (!moveRound(round, RoundStatus.AGGREGATING, null, now)) {
                return Optional.empty(); // an upload got in first; look again next tick
            }
            if (pastDeadline) {
                closer.expireOpen(round.id(), "deadline passed");
            }
            return Optional.of(round);
        }
        String reason = round.submitted() + " of at least " + round.minClients() + " updates"
                + (pastDeadline ? " by the deadline" : " from the clients still assigned");
        if (!moveRound(round, RoundStatus.FAILED, reason, now)) {
            return Optional.empty();
        }
        closer.expireOpen(round.id(), "round failed");
        meters.counter("fedtune.rounds", "outcome", "failed").increment();
        FederationConfig config = federation.config();
        if (config.rounds().onFailure() == FailurePolicy.RETRY_ROUND
                && round.attempt() <= config.rounds().maxRetries()) {
            open(federation, round.number(), round.attempt() + 1, round.baseVersion(), now);
        } else {
            complete(federation, FederationStatus.FAILED, "round " + round.number() + " failed: " + reason);
        }
        return Optional.empty();
    }

    private boolean moveRound(Round round, RoundStatus to, String reason, Instant now) {
        StateMachines.ROUND.move(round.status(), to);
        return jdbc.sql("UPDATE round SET status = ?, failure_reason = ?, closed_at = ?, version = version + 1"
                                + " WHERE id = ? AND version = ?")
                        .params(
                                to.name(),
                                reason,
                                to == RoundStatus.AGGREGATING ? null : Timestamp.from(now),
                                round.id(),
                                round.version())
                        .update()
                == 1;
    }

    private void complete(Federation federation, FederationStatus to, String reason) {
        StateMachines.FEDERATION.move(federation.status(), to);
        federations.updateStatus(federation.id(), federation.version(), to, reason, clock.instant());
        log.info("Federation {} is {}{}", federation.name(), to, reason == null ? "" : ": " + reason);
    }

    /**
     * Claims and runs a round's aggregation.
     *
     * @return whether this replica committed the result
     */
    boolean aggregate(Round round) {
        Instant now = clock.instant();
        Optional<Round> claimed = jdbc.sql("UPDATE round SET claimed_by = ?, claimed_at = ?, claims = claims + 1,"
                        + " version = version + 1 WHERE id = ? AND status = 'AGGREGATING'"
                        + " AND (claimed_at IS NULL OR claimed_at < ?) RETURNING *")
                .params(
                        replica,
                        Timestamp.from(now),
                        round.id(),
                        Timestamp.from(now.minus(properties.aggregationLease())))
                .query(Round::map)
                .optional();
        if (claimed.isEmpty()) {
            return false;
        }
        Round mine = claimed.get();
        Federation federation = federations.find(mine.federationId()).orElseThrow();
        // in the order of the clients' names, as sampling is: the same federation replayed sums in the same order
        List<AcceptedUpdate> updates = jdbc.sql("SELECT u.client_id, u.blob_key, u.size_bytes, u.example_count, u.norm,"
                        + " u.clip_factor, u.metrics FROM client_update u JOIN client c ON c.id = u.client_id"
                        + " WHERE u.round_id = ? ORDER BY c.name")
                .param(mine.id())
                .query((rs, n) -> new AcceptedUpdate(
                        rs.getObject("client_id", UUID.class),
                        rs.getString("blob_key"),
                        rs.getLong("size_bytes"),
                        rs.getLong("example_count"),
                        rs.getDouble("norm"),
                        rs.getDouble("clip_factor"),
                        metrics(rs.getString("metrics"))))
                .list();
        RoundAggregator.Outcome outcome;
        Timer.Sample sample = Timer.start(meters);
        try {
            AdapterVersion base =
                    adapters.find(mine.federationId(), mine.baseVersion()).orElseThrow();
            outcome = aggregator.aggregate(mine.federationId(), federation.config(), mine, base, updates);
        } catch (Exception e) {
            log.error(
                    "Aggregation of federation {} round {} failed (claim {})",
                    federation.name(),
                    mine.number(),
                    mine.claims(),
                    e);
            tx.executeWithoutResult(status -> {
                if (mine.claims() >= 3) {
                    failAggregation(mine, "aggregation failed: " + e.getMessage());
                } else {
                    jdbc.sql("UPDATE round SET claimed_by = NULL, claimed_at = NULL, version = version + 1"
                                    + " WHERE id = ? AND claimed_by = ?")
                            .params(mine.id(), replica)
                            .update();
                }
            });
            return false;
        }
        sample.stop(meters.timer("fedtune.aggregation.duration"));
        Boolean committed = tx.execute(status -> {
            int won = jdbc.sql("UPDATE round SET status = 'COMPLETED', adapter_version = ?, closed_at = ?,"
                            + " metrics = ?::jsonb, version = version + 1"
                            + " WHERE id = ? AND status = 'AGGREGATING' AND claimed_by = ? AND version = ?")
                    .params(
                            mine.number(),
                            Timestamp.from(clock.instant()),
                            json.writeValueAsString(outcome.metrics()),
                            mine.id(),
                            replica,
                            mine.version())
                    .update();
            if (won == 0) {
                return false;
            }
            StateMachines.ROUND.move(RoundStatus.AGGREGATING, RoundStatus.COMPLETED);
            adapters.insert(
                    mine.federationId(),
                    mine.number(),
                    mine.number(),
                    outcome.rank(),
                    outcome.adapter(),
                    outcome.stateKey());
            federations.recordProgress(mine.federationId(), mine.number(), mine.number(), clock.instant());
            return true;
        });
        if (Boolean.TRUE.equals(committed)) {
            meters.counter("fedtune.rounds", "outcome", "completed").increment();
            meters.timer("fedtune.round.duration").record(Duration.between(mine.openedAt(), clock.instant()));
            meters.counter("fedtune.aggregation.bytes.in")
                    .increment(outcome.metrics().bytesIn());
            meters.counter("fedtune.aggregation.bytes.out")
                    .increment(outcome.metrics().bytesOut());
            log.info(
                    "Federation {} round {} aggregated {} updates into adapter v{} in {} ms",
                    federation.name(),
                    mine.number(),
                    updates.size(),
                    mine.number(),
                    outcome.metrics().aggregationMillis());
        }
        return Boolean.TRUE.equals(committed);
    }

    private void failAggregation(Round round, String reason) {
        StateMachines.ROUND.move(RoundStatus.AGGREGATING, RoundStatus.FAILED);
        jdbc.sql("UPDATE round SET status = 'FAILED', failure_reason = ?, closed_at = ?, version = version + 1"
                        + " WHERE id = ? AND status = 'AGGREGATING'")
                .params(reason, Timestamp.from(clock.instant()), round.id())
                .update();
    }

    private java.util.Map<String, Double> metrics(String text) {
        return json.readValue(text, new tools.jackson.core.type.TypeReference<java.util.Map<String, Double>>() {});
    }
}
