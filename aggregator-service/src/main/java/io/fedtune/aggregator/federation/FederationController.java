package io.fedtune.aggregator.federation;

import io.fedtune.aggregator.round.AdapterStore;
import io.fedtune.aggregator.round.AdapterVersion;
import io.fedtune.aggregator.system.AggregatorException;
import io.fedtune.protocol.api.AdapterView;
import io.fedtune.protocol.api.FederationConfig;
import io.fedtune.protocol.api.FederationView;
import jakarta.validation.Valid;
import java.net.URI;
import java.util.List;
import java.util.UUID;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.security.core.annotation.AuthenticationPrincipal;
import org.springframework.security.oauth2.jwt.Jwt;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

/** The admin API of federations: create, list, read, start, pause, resume, cancel, and the current adapter. */
@RestController
@RequestMapping("/api/v1/federations")
class FederationController {

    private final FederationService service;
    private final AdapterStore adapters;

    FederationController(FederationService service, AdapterStore adapters) {
        this.service = service;
        this.adapters = adapters;
    }

    @PostMapping
    ResponseEntity<FederationView> create(
            @Valid @RequestBody FederationConfig config, @AuthenticationPrincipal Jwt jwt) {
        Federation federation = service.create(config, jwt.getSubject());
        return ResponseEntity.created(URI.create("/api/v1/federations/" + federation.id()))
                .body(federation.view());
    }

    @GetMapping
    List<FederationView> list() {
        return service.list().stream().map(Federation::view).toList();
    }

    @GetMapping("/{id}")
    FederationView get(@PathVariable UUID id) {
        return service.get(id).view();
    }

    @PostMapping("/{id}/start")
    FederationView start(@PathVariable UUID id, @AuthenticationPrincipal Jwt jwt) {
        return service.start(id, jwt.getSubject()).view();
    }

    @PostMapping("/{id}/pause")
    FederationView pause(@PathVariable UUID id, @AuthenticationPrincipal Jwt jwt) {
        return service.pause(id, jwt.getSubject()).view();
    }

    @PostMapping("/{id}/resume")
    FederationView resume(@PathVariable UUID id, @AuthenticationPrincipal Jwt jwt) {
        return service.resume(id, jwt.getSubject()).view();
    }

    @PostMapping("/{id}/cancel")
    FederationView cancel(@PathVariable UUID id, @AuthenticationPrincipal Jwt jwt) {
        return service.cancel(id, jwt.getSubject()).view();
    }

    @GetMapping("/{id}/adapter")
    AdapterView currentAdapter(@PathVariable UUID id) {
        Federation federation = service.get(id);
        if (federation.adapterVersion() == null) {
            throw new AggregatorException(HttpStatus.NOT_FOUND, "not-found", "The federation has not started");
        }
        return adapters.find(id, federation.adapterVersion())
                .map(AdapterVersion::view)
                .orElseThrow(() -> new AggregatorException(HttpStatus.NOT_FOUND, "not-found", "No adapter yet"));
    }

    @GetMapping("/{id}/adapters")
    List<AdapterView> adapters(@PathVariable UUID id) {
        service.get(id);
        return adapters.list(id).stream().map(AdapterVersion::view).toList();
    }
}
