package io.fedtune.aggregator.client;

import io.fedtune.aggregator.federation.FederationService;
import io.fedtune.aggregator.system.AggregatorProperties;
import io.fedtune.protocol.api.EnrollmentRequest;
import io.fedtune.protocol.api.EnrollmentResponse;
import io.fedtune.protocol.api.HeartbeatRequest;
import io.fedtune.protocol.api.HeartbeatResponse;
import jakarta.validation.Valid;
import java.time.Clock;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.security.core.annotation.AuthenticationPrincipal;
import org.springframework.security.oauth2.jwt.Jwt;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

/** The agent API of enrollment (no token: the enrollment token is the credential) and heartbeats. */
@RestController
@RequestMapping("/api/v1/agent")
class AgentClientController {

    private final EnrollmentService enrollment;
    private final ClientDirectory clients;
    private final FederationService federations;
    private final AggregatorProperties properties;
    private final Clock clock;

    AgentClientController(
            EnrollmentService enrollment,
            ClientDirectory clients,
            FederationService federations,
            AggregatorProperties properties,
            Clock clock) {
        this.enrollment = enrollment;
        this.clients = clients;
        this.federations = federations;
        this.properties = properties;
        this.clock = clock;
    }

    @PostMapping("/enroll")
    ResponseEntity<EnrollmentResponse> enroll(@Valid @RequestBody EnrollmentRequest request) {
        return ResponseEntity.status(HttpStatus.CREATED).body(enrollment.enroll(request));
    }

    @PostMapping("/heartbeat")
    HeartbeatResponse heartbeat(
            @Valid @RequestBody(required = false) HeartbeatRequest request, @AuthenticationPrincipal Jwt jwt) {
        ClientDirectory.Agent agent = clients.requireActive(jwt);
        return new HeartbeatResponse(
                agent.id(),
                agent.federationId(),
                federations.get(agent.federationId()).status(),
                clock.instant(),
                properties.heartbeatInterval().toSeconds());
    }
}
