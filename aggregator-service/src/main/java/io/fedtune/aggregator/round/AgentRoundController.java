package io.fedtune.aggregator.round;

import io.fedtune.aggregator.client.ClientDirectory;
import io.fedtune.aggregator.system.AggregatorException;
import io.fedtune.aggregator.system.AggregatorProperties;
import io.fedtune.protocol.api.FailureReport;
import io.fedtune.protocol.api.TaskView;
import io.fedtune.protocol.api.UpdateMetadata;
import io.fedtune.protocol.api.UpdateReceipt;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.validation.ConstraintViolation;
import jakarta.validation.Valid;
import jakarta.validation.Validator;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.annotation.AuthenticationPrincipal;
import org.springframework.security.oauth2.jwt.Jwt;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.context.request.async.DeferredResult;
import org.springframework.web.servlet.mvc.method.annotation.StreamingResponseBody;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.json.JsonMapper;

/** The agent API of rounds: long-poll for a task, download a global adapter, upload an update, report a failure. */
@RestController
@RequestMapping("/api/v1/agent")
class AgentRoundController {

    private final ClientDirectory clients;
    private final TaskBoard tasks;
    private final UpdateIntake intake;
    private final AdapterStore adapters;
    private final JdbcClient jdbc;
    private final AggregatorProperties properties;
    private final JsonMapper strictJson;
    private final Validator validator;
    private final Clock clock;
    private final Counter bytesOut;

    AgentRoundController(
            ClientDirectory clients,
            TaskBoard tasks,
            UpdateIntake intake,
            AdapterStore adapters,
            JdbcClient jdbc,
            AggregatorProperties properties,
            JsonMapper json,
            Validator validator,
            Clock clock,
            MeterRegistry meters) {
        this.clients = clients;
        this.tasks = tasks;
        this.intake = intake;
        this.adapters = adapters;
        this.jdbc = jdbc;
        this.properties = properties;
        this.strictJson = json.rebuild()
                .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .build();
        this.validator = validator;
        this.clock = clock;
        this.bytesOut = Counter.builder("fedtune.adapters.bytes.out")
                .description("Bytes of global adapters sent to agents and admins")
                .register(meters);
    }

    @GetMapping("/tasks/next")
    DeferredResult<ResponseEntity<TaskView>> next(
            @RequestParam(name = "wait", defaultValue = "30") long waitSeconds, @AuthenticationPrincipal Jwt jwt) {
        ClientDirectory.Agent agent = clients.requireActive(jwt);
        Duration wait = Duration.ofSeconds(
                Math.max(0, Math.min(waitSeconds, properties.longPollMax().toSeconds())));
        return tasks.next(agent.id(), wait);
    }

    @GetMapping("/federations/{federationId}/adapters/{version}")
    ResponseEntity<StreamingResponseBody> download(
            @PathVariable UUID federationId,
            @PathVariable int version,
            @RequestHeader(name = HttpHeaders.RANGE, required = false) String range,
            @RequestHeader(name = HttpHeaders.IF_RANGE, required = false) String ifRange,
            Authentication authentication) {
        Jwt jwt = (Jwt) authentication.getPrincipal();
        boolean agentCaller = authentication.getAuthorities().stream()
                .anyMatch(a -> a.getAuthority().equals("ROLE_AGENT"));
        AdapterVersion adapter = adapters.find(federationId, version)
                .orElseThrow(() ->
                        new AggregatorException(HttpStatus.NOT_FOUND, "not-found", "No adapter version " + version));
        if (agentCaller) {
            ClientDirectory.Agent agent = clients.requireActive(jwt);
            if (!agent.federationId().equals(federationId)) {
                throw new AggregatorException(
                        HttpStatus.FORBIDDEN, "wrong-federation", "Not a client of " + federationId);
            }
            jdbc.sql("UPDATE assignment a SET status = 'DOWNLOADED', downloaded_at = ?, version = a.version + 1"
                            + " FROM round r WHERE r.id = a.round_id AND a.client_id = ? AND a.status = 'ASSIGNED'"
                            + " AND r.status = 'COLLECTING' AND r.base_version = ?")
                    .params(Timestamp.from(clock.instant()), agent.id(), version)
                    .update();
        }
        String etag = "\"" + adapter.sha256() + "\"";
        long size = adapter.sizeBytes();
        // A resumed download (RFC 9110 §14): one range of the immutable file; a stale If-Range gets the whole file.
        long[] slice = ifRange == null || ifRange.equals(etag) ? ByteRanges.single(range, size) : null;
        if (slice != null && slice.length == 0) {
            return ResponseEntity.status(HttpStatus.REQUESTED_RANGE_NOT_SATISFIABLE)
                    .header(HttpHeaders.CONTENT_RANGE, "bytes */" + size)
                    .build();
        }
        long offset = slice == null ? 0 : slice[0];
        long length = slice == null ? size : slice[1] - slice[0] + 1;
        StreamingResponseBody body = out -> {
            try (InputStream in = slice == null ? adapters.open(adapter) : adapters.open(adapter, offset, length)) {
                // counted as each chunk leaves, so a download cut halfway counts what it did send
                byte[] chunk = new byte[1 << 16];
                for (int n; (n = in.read(chunk)) >= 0; ) {
                    out.write(chunk, 0, n);
                    bytesOut.increment(n);
                }
            }
        };
        ResponseEntity.BodyBuilder response = slice == null
                ? ResponseEntity.ok()
                : ResponseEntity.status(HttpStatus.PARTIAL_CONTENT)
                        .header(HttpHeaders.CONTENT_RANGE, "bytes " + slice[0] + "-" + slice[1] + "/" + size);
        return response.contentType(MediaType.APPLICATION_OCTET_STREAM)
                .contentLength(length)
                .header(HttpHeaders.ACCEPT_RANGES, "bytes")
                .header("Fedtune-Sha256", adapter.sha256())
                .header(HttpHeaders.ETAG, etag)
                .header(
                        HttpHeaders.CONTENT_DISPOSITION,
                        "attachment; filename=\"adapter_model-v" + version + ".safetensors\"")
                .body(body);
    }

    @PutMapping(path = "/federations/{federationId}/rounds/{round}/update")
    ResponseEntity<UpdateReceipt> upload(
            @PathVariable UUID federationId,
            @PathVariable int round,
            @RequestHeader(name = UpdateMetadata.HEADER, required = false) String metadataHeader,
            @AuthenticationPrincipal Jwt jwt,
            HttpServletRequest request)
            throws IOException {
        ClientDirectory.Agent agent = clients.requireActive(jwt);
        UpdateMetadata metadata = parse(metadataHeader);
        UpdateReceipt receipt = intake.accept(
                agent, federationId, round, metadata, request.getContentLengthLong(), request.getInputStream());
        if (receipt.duplicate()) {
            request.getInputStream().transferTo(OutputStream.nullOutputStream());
        }
        return ResponseEntity.status(receipt.duplicate() ? HttpStatus.OK : HttpStatus.CREATED)
                .body(receipt);
    }

    private UpdateMetadata parse(String header) {
        if (header == null || header.isBlank()) {
            throw new AggregatorException(
                    HttpStatus.BAD_REQUEST, "missing-metadata", "The " + UpdateMetadata.HEADER + " header is required");
        }
        UpdateMetadata metadata;
        try {
            metadata = strictJson.readValue(header, UpdateMetadata.class);
        } catch (JacksonException e) {
            throw new AggregatorException(
                    HttpStatus.BAD_REQUEST,
                    "malformed-metadata",
                    "The " + UpdateMetadata.HEADER + " header is not valid UpdateMetadata JSON: "
                            + e.getOriginalMessage());
        }
        Set<ConstraintViolation<UpdateMetadata>> violations = validator.validate(metadata);
        if (!violations.isEmpty()) {
            throw new AggregatorException(
                    HttpStatus.BAD_REQUEST,
                    "invalid-metadata",
                    violations.stream()
                            .map(v -> v.getPropertyPath() + " " + v.getMessage())
                            .sorted()
                            .collect(Collectors.joining("; ")));
        }
        return metadata;
    }

    @PostMapping("/federations/{federationId}/rounds/{round}/failure")
    ResponseEntity<Void> failure(
            @PathVariable UUID federationId,
            @PathVariable int round,
            @Valid @RequestBody FailureReport report,
            @AuthenticationPrincipal Jwt jwt) {
        ClientDirectory.Agent agent = clients.requireActive(jwt);
        if (!agent.federationId().equals(federationId)) {
            throw new AggregatorException(HttpStatus.FORBIDDEN, "wrong-federation", "Not a client of " + federationId);
        }
        intake.fail(agent, federationId, round, report);
        return ResponseEntity.noContent().build();
    }
}
