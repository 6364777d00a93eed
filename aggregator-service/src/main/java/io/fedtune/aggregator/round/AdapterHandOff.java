package io.fedtune.aggregator.round;

import io.fedtune.aggregator.federation.Federation;
import io.fedtune.aggregator.federation.FederationRepository;
import io.fedtune.aggregator.registry.ModelRegistryClient;
import io.fedtune.aggregator.system.AggregatorProperties;
import io.fedtune.protocol.api.FederationConfig;
import io.fedtune.protocol.api.PeftMethod;
import io.fedtune.protocol.api.PeftSpec;
import io.fedtune.protocol.api.PrivacyMode;
import io.fedtune.protocol.api.PrivacySpec;
import io.fedtune.protocol.api.RoundMetrics;
import io.fedtune.protocol.api.registry.AdapterMethod;
import io.fedtune.protocol.api.registry.AdapterMetrics;
import io.fedtune.protocol.api.registry.AdapterPeftConfig;
import io.fedtune.protocol.api.registry.AdapterVersionRegistration;
import io.fedtune.protocol.api.registry.PrivacySettings;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionTemplate;
import tools.jackson.databind.json.JsonMapper;

/**
 * Registers every new global adapter version in the model registry. Versions are recorded first and handed off
 * after, from any replica ({@code FOR UPDATE SKIP LOCKED}), until the registry accepts them: a registry outage
 * delays registration and loses nothing.
 */
@Component
public class AdapterHandOff {

    private static final Logger log = LoggerFactory.getLogger(AdapterHandOff.class);

    /** How long a claimed registration may take (the registry client's own timeout is 10 minutes). */
    private static final Duration CLAIM_LEASE = Duration.ofMinutes(15);

    private final JdbcClient jdbc;
    private final ModelRegistryClient registry;
    private final AdapterStore adapters;
    private final FederationRepository federations;
    private final AggregatorProperties properties;
    private final TransactionTemplate tx;
    private final JsonMapper json;
    private final Clock clock;

    AdapterHandOff(
            JdbcClient jdbc,
            ModelRegistryClient registry,
            AdapterStore adapters,
            FederationRepository federations,
            AggregatorProperties properties,
            TransactionTemplate tx,
            JsonMapper json,
            Clock clock) {
        this.jdbc = jdbc;
        this.registry = registry;
        this.adapters = adapters;
        this.federations = federations;
        this.properties = properties;
        this.tx = tx;
        this.json = json;
        this.clock = clock;
    }

    @Scheduled(fixedDelayString = "${fedtune.aggregator.hand-off-interval:PT5S}")
    void scheduled() {
        if (properties.schedulingEnabled()) {
            handOff();
        }
    }

    /**
     * Registers pending versions; returns how many succeeded. Each version is claimed in a short transaction (its retry
     * time moved a lease ahead, so other replicas leave it alone), uploaded with no transaction open, and its outcome
     * recorded in a second transaction. A replica that dies mid-upload leaves the claim to expire; the registry answers
     * a repeated registration of the same version with 200, so a retry never registers twice.
     */
    public int handOff() {
        int done = 0;
        for (int i = 0; i < 20; i++) {
            AdapterVersion version = tx.execute(status -> claimNext());
            if (version == null) {
                break;
            }
            try {
                String id = registry.register(registration(version), () -> adapters.open(version));
                tx.executeWithoutResult(
                        status -> jdbc.sql("UPDATE adapter_version SET registry_id = ?, registry_error = NULL"
                                        + " WHERE federation_id = ? AND version = ?")
                                .params(id, version.federationId(), version.version())
                                .update());
                done++;
            } catch (Exception e) {
                recordFailure(version, e);
            }
        }
        return done;
    }

    /** The oldest due version whose parent is registered (the registry checks lineage), claimed for a lease. */
    private AdapterVersion claimNext() {
        List<AdapterVersion> pending = jdbc.sql("SELECT * FROM adapter_version v WHERE v.registry_id IS NULL"
                        + " AND (v.registry_retry_at IS NULL OR v.registry_retry_at <= ?)"
                        + " AND (v.version = 0 OR EXISTS (SELECT 1 FROM adapter_version p"
                        + " WHERE p.federation_id = v.federation_id AND p.version = v.version - 1"
                        + " AND p.registry_id IS NOT NULL))"
                        + " ORDER BY v.created_at LIMIT 1 FOR UPDATE OF v SKIP LOCKED")
                .param(Timestamp.from(clock.instant()))
                .query(AdapterStore::map)
                .list();
        if (pending.isEmpty()) {
            return null;
        }
        AdapterVersion version = pending.get(0);
        jdbc.sql("UPDATE adapter_version SET registry_retry_at = ? WHERE federation_id = ? AND version = ?")
                .params(Timestamp.from(clock.instant().plus(CLAIM_LEASE)), version.federationId(), version.version())
                .update();
        return version;
    }

    private void recordFailure(AdapterVersion version, Exception e) {
        tx.executeWithoutResult(status -> {
            int attempts = jdbc.sql("UPDATE adapter_version SET registry_attempts = registry_attempts + 1,"
                            + " registry_error = ? WHERE federation_id = ? AND version = ?"
                            + " RETURNING registry_attempts")
                    .params(abbreviate(e.getMessage()), version.federationId(), version.version())
                    .query(Integer.class)
                    .single();
            Duration wait = backoff(attempts);
            jdbc.sql("UPDATE adapter_version SET registry_retry_at = ? WHERE federation_id = ? AND version = ?")
                    .params(Timestamp.from(clock.instant().plus(wait)), version.federationId(), version.version())
                    .update();
            log.warn(
                    "Registering adapter v{} of {} failed (attempt {}); retrying in {}: {}",
                    version.version(),
                    version.federationId(),
                    attempts,
                    wait,
                    e.getMessage());
        });
    }

    /** 5 s, doubling per failed attempt, at most 10 minutes. */
    static Duration backoff(int attempts) {
        Duration wait = Duration.ofSeconds(5L << Math.min(Math.max(attempts, 1) - 1, 7));
        return wait.compareTo(Duration.ofMinutes(10)) > 0 ? Duration.ofMinutes(10) : wait;
    }

    private static String abbreviate(String message) {
        String text = message == null ? "(no message)" : message;
        return text.length() > 2000 ? text.substring(0, 2000) : text;
    }

    private ModelRegistryClient.AdapterRegistration registration(AdapterVersion version) {
        Federation federation = federations.find(version.federationId()).orElseThrow();
        FederationConfig config = federation.config();
        PeftSpec peft = config.peft();
        boolean prompt = peft.method() == PeftMethod.PROMPT_TUNING;
        List<String> modules = peft.modules() != null && !peft.modules().isEmpty()
                ? peft.modules().stream()
                        .map(m -> m.path().substring(m.path().lastIndexOf('.') + 1))
                        .distinct()
                        .toList()
                : peft.targetModules() == null ? List.of() : peft.targetModules();
        AdapterPeftConfig registered = new AdapterPeftConfig(
                prompt ? AdapterMethod.PROMPT_TUNING : AdapterMethod.LORA,
                prompt ? 0 : version.rank(),
                peft.alpha(),
                peft.dropout(),
                peft.rsLora(),
                prompt ? List.of() : modules,
                prompt ? peft.numVirtualTokens() : 0,
                config.strategy().loraMode().name().toLowerCase(Locale.ROOT));
        PrivacySpec privacy = config.privacy();
        PrivacySettings privacySettings = privacy.mode() == PrivacyMode.DP_FEDAVG
                ? new PrivacySettings("dp_fedavg", privacy.clipNorm(), privacy.noiseMultiplier(), privacy.delta())
                : PrivacySettings.none();
        AdapterVersionRegistration metadata = new AdapterVersionRegistration(
                version.version(),
                version.roundNumber(),
                version.version() == 0 ? null : version.version() - 1,
                federation.name(),
                config.baseModel().id(),
                registered,
                config.strategy().name().name().toLowerCase(Locale.ROOT),
                privacySettings,
                metrics(version, privacy),
                version.sha256(),
                version.sizeBytes());
        return new ModelRegistryClient.AdapterRegistration(federation.id(), metadata);
    }

    /** The metrics of the round that produced the version (none for version 0), in the registry's terms. */
    private AdapterMetrics metrics(AdapterVersion version, PrivacySpec privacy) {
        Map<String, Double> extra = new TreeMap<>();
        if (privacy.mode() == PrivacyMode.LOCAL_DP) {
            // the registry's privacy record knows only central DP: local DP goes with the metrics
            extra.put("local_dp_clip_norm", privacy.clipNorm());
            extra.put("local_dp_noise_multiplier", privacy.noiseMultiplier());
        }
        if (version.version() == 0) {
            return extra.isEmpty()
                    ? AdapterMetrics.empty()
                    : new AdapterMetrics(null, null, null, null, null, null, extra);
        }
        Optional<String> stored = jdbc.sql("SELECT metrics FROM round WHERE federation_id = ? AND number = ?"
                        + " AND status = 'COMPLETED' AND metrics IS NOT NULL ORDER BY attempt DESC LIMIT 1")
                .params(version.federationId(), version.roundNumber())
                .query(String.class)
                .optional();
        if (stored.isEmpty()) {
            return new AdapterMetrics(null, null, null, null, null, null, extra);
        }
        RoundMetrics round = json.readValue(stored.get(), RoundMetrics.class);
        Map<String, Double> clients = round.clientMetrics() == null ? Map.of() : round.clientMetrics();
        clients.forEach((name, value) -> {
            if (Double.isFinite(value) && extra.size() < 90) {
                extra.put(name.replace('-', '_'), value);
            }
        });
        Double trainLoss = extra.remove("train_loss");
        Double holdoutLoss =
                extra.containsKey("holdout_loss") ? extra.remove("holdout_loss") : extra.remove("eval_loss");
        extra.put("bytes_in", (double) round.bytesIn());
        extra.put("bytes_out", (double) round.bytesOut());
        extra.put("aggregation_ms", (double) round.aggregationMillis());
        return new AdapterMetrics(
                trainLoss, holdoutLoss, round.updates(), round.examples(), round.epsilon(), round.delta(), extra);
    }
}
