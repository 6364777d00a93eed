package io.fedtune.aggregator.federation;

import io.fedtune.aggregator.aggregation.AdapterLayout;
import io.fedtune.aggregator.round.AdapterStore;
import io.fedtune.aggregator.round.RoundCloser;
import io.fedtune.aggregator.system.AggregatorException;
import io.fedtune.aggregator.system.AuditLog;
import io.fedtune.aggregator.system.StateMachines;
import io.fedtune.protocol.api.FederationConfig;
import io.fedtune.protocol.api.FederationStatus;
import io.fedtune.protocol.api.UpdateCodec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Service;
import org.springframework.transaction.support.TransactionTemplate;

/** The federation lifecycle as admins drive it: create, start, pause, resume, cancel. */
@Service
public class FederationService {

    private final FederationRepository federations;
    private final AdapterStore adapters;
    private final RoundCloser rounds;
    private final AuditLog audit;
    private final TransactionTemplate tx;
    private final Clock clock;

    FederationService(
            FederationRepository federations,
            AdapterStore adapters,
            RoundCloser rounds,
            AuditLog audit,
            TransactionTemplate tx,
            Clock clock) {
        this.federations = federations;
        this.adapters = adapters;
        this.rounds = rounds;
        this.audit = audit;
        this.tx = tx;
        this.clock = clock;
    }

    /** Creates a DRAFT federation from a validated config. */
    public Federation create(FederationConfig config, String actor) {
        try {
            AdapterLayout layout = AdapterLayout.of(config);
            if (layout.parameters() > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("the adapter has more than 2^31 parameters");
            }
        } catch (IllegalArgumentException e) {
            throw new AggregatorException(HttpStatus.BAD_REQUEST, "invalid-config", e.getMessage());
        }
        if (config.codec().upload() == UpdateCodec.TOPK && !(config.codec().topkFraction() > 0)) {
            throw new AggregatorException(
                    HttpStatus.BAD_REQUEST, "invalid-config", "codec.topkFraction must be in (0, 1] with codec topk");
        }
        Instant now = clock.instant();
        Federation federation = new Federation(
                UUID.randomUUID(), config.name(), FederationStatus.DRAFT, config, 0, null, null, now, now, actor, 0);
        return tx.execute(status -> {
            if (federations.nameTaken(config.name())) {
                throw new AggregatorException(
                        HttpStatus.CONFLICT, "name-taken", "A federation named " + config.name() + " exists");
            }
            federations.insert(federation);
            audit.record(actor, "federation.create", federation.id().toString(), "ok", Map.of("name", config.name()));
            return federation;
        });
    }

    public Federation get(UUID id) {
        return federations
                .find(id)
                .orElseThrow(() -> new AggregatorException(HttpStatus.NOT_FOUND, "not-found", "No federation " + id));
    }

    public List<Federation> list() {
        return federations.list();
    }

    /** DRAFT → RUNNING, with the initial adapter (version 0) written first. */
    public Federation start(UUID id, String actor) {
        Federation federation = get(id);
        StateMachines.FEDERATION.move(federation.status(), FederationStatus.RUNNING);
        try {
            adapters.createInitial(id, federation.config());
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot write the initial adapter", e);
        }
        return tx.execute(status -> {
            move(federation, FederationStatus.RUNNING, null, actor, "federation.start");
            federations.recordProgress(id, 0, 0, clock.instant());
            return get(id);
        });
    }

    /** RUNNING → PAUSED: no round opens or closes until resumed; uploads to the open round are still accepted. */
    public Federation pause(UUID id, String actor) {
        return transition(id, FederationStatus.PAUSED, actor, "federation.pause");
    }

    /** PAUSED → RUNNING. */
    public Federation resume(UUID id, String actor) {
        return transition(id, FederationStatus.RUNNING, actor, "federation.resume");
    }

    /** Any live state → CANCELLED; the open round fails and its assignments expire. */
    public Federation cancel(UUID id, String actor) {
        return tx.execute(status -> {
            Federation federation = get(id);
            move(federation, FederationStatus.CANCELLED, "cancelled by " + actor, actor, "federation.cancel");
            rounds.failOpenRounds(id, "federation cancelled");
            return get(id);
        });
    }

    private Federation transition(UUID id, FederationStatus to, String actor, String action) {
        return tx.execute(status -> {
            move(get(id), to, null, actor, action);
            return get(id);
        });
    }

    private void move(Federation federation, FederationStatus to, String reason, String actor, String action) {
        StateMachines.FEDERATION.move(federation.status(), to);
        if (!federations.updateStatus(federation.id(), federation.version(), to, reason, clock.instant())) {
            throw new AggregatorException(
                    HttpStatus.CONFLICT, "concurrent-modification", "The federation changed meanwhile; try again");
        }
        audit.record(actor, action, federation.id().toString(), "ok", Map.of("from", federation.status(), "to", to));
    }
}
