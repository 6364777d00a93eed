package io.fedtune.registry.adapter;

import io.fedtune.protocol.api.registry.AdapterComparison;
import io.fedtune.protocol.api.registry.AdapterFederationView;
import io.fedtune.protocol.api.registry.AdapterLineage;
import io.fedtune.protocol.api.registry.AdapterTagView;
import io.fedtune.protocol.api.registry.AdapterVersionView;
import io.fedtune.protocol.api.registry.RegistryApi;
import io.fedtune.protocol.api.registry.TagAssignment;
import io.fedtune.registry.audit.AuditLog;
import io.fedtune.registry.blob.BlobDownloads;
import io.fedtune.registry.security.FederationAccess;
import io.fedtune.registry.system.CountingOutputStream;
import io.fedtune.registry.system.RegistryMetrics;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.validation.Valid;
import java.net.URI;
import java.util.List;
import java.util.UUID;
import org.springframework.http.ContentDisposition;
import org.springframework.http.HttpHeaders;
import org.springframework.http.ResponseEntity;
import org.springframework.security.core.Authentication;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * Adapter versions over REST. A version is named by number ({@code versions/{n}}), by tag ({@code tags/{tag}}) or as
 * {@code latest}; its content, PEFT export, lineage and comparison hang below it.
 */
@RestController
@RequestMapping(RegistryApi.ADAPTERS)
@Tag(name = "adapters", description = "Adapter versions of federations: lineage, tags, content and PEFT export")
class AdapterController {

    private static final String VERSION = "/{federationId}/versions/{version}";
    private static final String LATEST = "/{federationId}/latest";
    private static final String TAG = "/{federationId}/tags/{tag}";

    private final AdapterService adapters;
    private final PeftExport export;
    private final BlobDownloads downloads;
    private final FederationAccess access;
    private final AuditLog audit;
    private final RegistryMetrics metrics;

    AdapterController(
            AdapterService adapters,
            PeftExport export,
            BlobDownloads downloads,
            FederationAccess access,
            AuditLog audit,
            RegistryMetrics metrics) {
        this.adapters = adapters;
        this.export = export;
        this.downloads = downloads;
        this.access = access;
        this.audit = audit;
        this.metrics = metrics;
    }

    @PostMapping("/{federationId}/versions")
    @Operation(
            summary = "Register an adapter version (SERVICE or ADMIN): multipart/form-data with a 'metadata' part"
                    + " (AdapterVersionRegistration JSON) then an 'adapter' part (safetensors bytes, streamed)."
                    + " 201 when stored, 200 when the same version with the same SHA-256 was already stored,"
                    + " 409 when it was stored with other bytes, 400 when the bytes do not match the metadata")
    ResponseEntity<AdapterVersionView> register(
            @PathVariable UUID federationId, HttpServletRequest request, Authentication caller) throws Exception {
        String actor = caller.getName();
        AdapterService.Registration registration = audit.run(
                actor,
                "adapter.register",
                "federation/" + federationId + "/versions",
                () -> adapters.register(federationId, request.getContentType(), request.getInputStream(), actor));
        AdapterVersionView view = registration.version();
        URI location = URI.create(RegistryApi.version(federationId, view.version()));
        return registration.created()
                ? ResponseEntity.created(location).body(view)
                : ResponseEntity.ok().location(location).body(view);
    }

    @GetMapping
    @Operation(summary = "Federations with adapter versions; an agent sees only its own")
    List<AdapterFederationView> federations(Authentication caller) {
        return adapters.federations(id -> access.mayRead(caller, id));
    }

    @GetMapping("/{federationId}")
    @Operation(summary = "A federation's record: base model, privacy, version count, latest version, tags")
    AdapterFederationView federation(@PathVariable UUID federationId, Authentication caller) {
        access.requireRead(caller, federationId);
        return adapters.federation(federationId);
    }

    @GetMapping("/{federationId}/versions")
    @Operation(summary = "A federation's versions, newest first")
    List<AdapterVersionView> versions(@PathVariable UUID federationId, Authentication caller) {
        access.requireRead(caller, federationId);
        return adapters.versions(federationId);
    }

    @GetMapping({VERSION, LATEST, TAG})
    @Operation(summary = "One version: by number, the latest, or the one a tag is on")
    AdapterVersionView version(
            @PathVariable UUID federationId,
            @PathVariable(required = false) Integer version,
            @PathVariable(required = false) String tag,
            Authentication caller) {
        access.requireRead(caller, federationId);
        return adapters.view(federationId, VersionRef.of(version, tag));
    }

    @GetMapping({VERSION + "/adapter.safetensors", LATEST + "/adapter.safetensors", TAG + "/adapter.safetensors"})
    @Operation(
            summary = "A version's safetensors bytes: ETag and Fedtune-Sha256 = SHA-256; Range (206, 416 past the"
                    + " end), If-Range and If-None-Match supported; 410 once retention pruned them")
    void content(
            @PathVariable UUID federationId,
            @PathVariable(required = false) Integer version,
            @PathVariable(required = false) String tag,
            HttpServletRequest request,
            HttpServletResponse response,
            Authentication caller)
            throws Exception {
        access.requireRead(caller, federationId);
        downloads.serve(request, response, adapters.content(federationId, VersionRef.of(version, tag)));
    }

    @GetMapping({VERSION + "/peft.zip", LATEST + "/peft.zip", TAG + "/peft.zip"})
    @Operation(
            summary = "A version in Hugging Face PEFT layout: adapter_config.json, adapter_model.safetensors and a"
                    + " README.md model card, zipped")
    void peftZip(
            @PathVariable UUID federationId,
            @PathVariable(required = false) Integer version,
            @PathVariable(required = false) String tag,
            HttpServletResponse response,
            Authentication caller)
            throws Exception {
        access.requireRead(caller, federationId);
        Federation federation = adapters.requireFederation(federationId);
        AdapterVersion resolved = adapters.resolve(federationId, VersionRef.of(version, tag));
        AdapterService.requireContent(resolved);
        response.setContentType("application/zip");
        response.setHeader(
                HttpHeaders.CONTENT_DISPOSITION,
                ContentDisposition.attachment()
                        .filename(PeftExport.filename(federation, resolved))
                        .build()
                        .toString());
        CountingOutputStream out = new CountingOutputStream(response.getOutputStream());
        try {
            export.write(federation, resolved, out);
        } finally {
            metrics.served("export", out.count());
        }
    }

    @GetMapping(VERSION + "/lineage")
    @Operation(summary = "A version's ancestors, parent first, down to the root")
    AdapterLineage lineage(@PathVariable UUID federationId, @PathVariable int version, Authentication caller) {
        access.requireRead(caller, federationId);
        return adapters.lineage(federationId, version);
    }

    @GetMapping(VERSION + "/compare")
    @Operation(summary = "Metrics of version n and version m side by side, with m − n")
    AdapterComparison compare(
            @PathVariable UUID federationId, @PathVariable int version, @RequestParam int with, Authentication caller) {
        access.requireRead(caller, federationId);
        return adapters.compare(federationId, version, with);
    }

    @GetMapping("/{federationId}/tags")
    @Operation(summary = "A federation's tags and the versions they are on")
    List<AdapterTagView> tags(@PathVariable UUID federationId, Authentication caller) {
        access.requireRead(caller, federationId);
        return adapters.tags(federationId);
    }

    @PutMapping(TAG)
    @Operation(summary = "Put a tag on a version, moving it from wherever it was (ADMIN or SERVICE)")
    AdapterTagView tag(
            @PathVariable UUID federationId,
            @PathVariable String tag,
            @Valid @RequestBody TagAssignment assignment,
            Authentication caller)
            throws Exception {
        String actor = caller.getName();
        return audit.run(
                actor,
                "adapter.tag",
                "federation/" + federationId + "/tags/" + tag,
                () -> adapters.tag(federationId, tag, assignment.version(), actor));
    }

    @DeleteMapping(TAG)
    @Operation(summary = "Remove a tag (ADMIN or SERVICE); the version stays")
    ResponseEntity<Void> untag(@PathVariable UUID federationId, @PathVariable String tag, Authentication caller)
            throws Exception {
        String actor = caller.getName();
        audit.run(actor, "adapter.untag", "federation/" + federationId + "/tags/" + tag, () -> {
            adapters.untag(federationId, tag, actor);
            return null;
        });
        return ResponseEntity.noContent().build();
    }
}
