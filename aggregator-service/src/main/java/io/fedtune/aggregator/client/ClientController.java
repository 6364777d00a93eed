package io.fedtune.aggregator.client;

import io.fedtune.aggregator.federation.FederationService;
import io.fedtune.aggregator.system.AggregatorProperties;
import io.fedtune.protocol.api.ClientView;
import io.fedtune.protocol.api.CreateEnrollmentTokenRequest;
import io.fedtune.protocol.api.EnrollmentTokenCreated;
import io.fedtune.protocol.api.EnrollmentTokenView;
import jakarta.validation.Valid;
import java.util.List;
import java.util.UUID;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.security.core.annotation.AuthenticationPrincipal;
import org.springframework.security.oauth2.jwt.Jwt;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

/** The admin API of a federation's enrollment tokens and clients. */
@RestController
@RequestMapping("/api/v1/federations/{federationId}")
class ClientController {

    private final EnrollmentService enrollment;
    private final ClientDirectory clients;
    private final FederationService federations;
    private final AggregatorProperties properties;

    ClientController(
            EnrollmentService enrollment,
            ClientDirectory clients,
            FederationService federations,
            AggregatorProperties properties) {
        this.enrollment = enrollment;
        this.clients = clients;
        this.federations = federations;
        this.properties = properties;
    }

    @PostMapping("/enrollment-tokens")
    ResponseEntity<EnrollmentTokenCreated> createToken(
            @PathVariable UUID federationId,
            @Valid @RequestBody CreateEnrollmentTokenRequest request,
            @AuthenticationPrincipal Jwt jwt) {
        return ResponseEntity.status(HttpStatus.CREATED)
                .body(enrollment.createToken(federationId, request, jwt.getSubject()));
    }

    @GetMapping("/enrollment-tokens")
    List<EnrollmentTokenView> tokens(@PathVariable UUID federationId) {
        return enrollment.listTokens(federationId);
    }

    @DeleteMapping("/enrollment-tokens/{tokenId}")
    ResponseEntity<Void> revokeToken(
            @PathVariable UUID federationId, @PathVariable UUID tokenId, @AuthenticationPrincipal Jwt jwt) {
        enrollment.revokeToken(federationId, tokenId, jwt.getSubject());
        return ResponseEntity.noContent().build();
    }

    @GetMapping("/clients")
    List<ClientView> clients(@PathVariable UUID federationId) {
        federations.get(federationId);
        return clients.list(federationId, properties.livenessWindow());
    }

    @PostMapping("/clients/{clientId}/revoke")
    ResponseEntity<Void> revokeClient(
            @PathVariable UUID federationId, @PathVariable UUID clientId, @AuthenticationPrincipal Jwt jwt) {
        enrollment.revokeClient(federationId, clientId, jwt.getSubject());
        return ResponseEntity.noContent().build();
    }
}
