package io.fedtune.aggregator.round;

import io.fedtune.aggregator.federation.Federation;
import io.fedtune.aggregator.federation.FederationRepository;
import io.fedtune.aggregator.registry.ModelRegistryClient;
import io.fedtune.aggregator.system.AggregatorProperties;
import io.fedtune.protocol.api.FederationConfig;
import io.fedtune.protocol.api.TargetModule;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Registers every new global adapter version in the model registry. Versions are recorded first and handed off
 * after, from any replica ({@code FOR UPDATE SKIP LOCKED}), until the registry accepts them: a registry outage
 * delays registration and loses nothing.
 */
@Component
public class AdapterHandOff {

    private static final Logger log = LoggerFactory.getLogger(AdapterHandOff.class);

    private final JdbcClient jdbc;
    private final ModelRegistryClient registry;
    private final AdapterStore adapters;
    private final FederationRepository federations;
    private final AggregatorProperties properties;
    private final TransactionTemplate tx;

    AdapterHandOff(
            JdbcClient jdbc,
            ModelRegistryClient registry,
            AdapterStore adapters,
            FederationRepository federations,
            AggregatorProperties properties,
            TransactionTemplate tx) {
        this.jdbc = jdbc;
        this.registry = registry;
        this.adapters = adapters;
        this.federations = federations;
        this.properties = properties;
        this.tx = tx;
    }

    @Scheduled(fixedDelayString = "${fedtune.aggregator.hand-off-interval:PT5S}")
    void scheduled() {
        if (properties.schedulingEnabled()) {
            handOff();
        }
    }

    /** Registers pending versions; returns how many succeeded. */
    public int handOff() {
        int done = 0;
        for (int i = 0; i < 20; i++) {
            Boolean registered = tx.execute(status -> {
                List<AdapterVersion> pending = jdbc.sql("SELECT * FROM adapter_version WHERE registry_id IS NULL"
                                + " ORDER BY created_at LIMIT 1 FOR UPDATE SKIP LOCKED")
                        .query(AdapterStore::map)
                        .list();
                if (pending.isEmpty()) {
                    return null;
                }
                AdapterVersion version = pending.get(0);
                try {
                    String id = registry.register(registration(version), () -> adapters.open(version));
                    jdbc.sql("UPDATE adapter_version SET registry_id = ? WHERE federation_id = ? AND version = ?")
                            .params(id, version.federationId(), version.version())
                            .update();
                    return true;
                } catch (Exception e) {
                    log.warn(
                            "Registering adapter v{} of {} failed; retrying later: {}",
                            version.version(),
                            version.federationId(),
                            e.getMessage());
                    return false;
                }
            });
            if (registered == null || !registered) {
                break;
            }
            done++;
        }
        return done;
    }

    private ModelRegistryClient.AdapterRegistration registration(AdapterVersion version) {
        Federation federation = federations.find(version.federationId()).orElseThrow();
        FederationConfig config = federation.config();
        List<String> modules = config.peft().modules() != null
                        && !config.peft().modules().isEmpty()
                ? config.peft().modules().stream().map(TargetModule::path).toList()
                : config.peft().targetModules() == null
                        ? List.of()
                        : config.peft().targetModules();
        return new ModelRegistryClient.AdapterRegistration(
                federation.id(),
                federation.name(),
                version.version(),
                version.roundNumber(),
                config.baseModel().id(),
                config.peft().method().name().toLowerCase(),
                version.rank(),
                config.peft().alpha(),
                modules,
                config.strategy().loraMode().name().toLowerCase(),
                config.strategy().name().name().toLowerCase(),
                version.version() == 0 ? null : version.version() - 1,
                version.sha256(),
                version.sizeBytes(),
                Map.of());
    }
}
