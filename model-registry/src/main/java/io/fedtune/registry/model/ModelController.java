package io.fedtune.registry.model;

import io.fedtune.protocol.api.registry.BaseModelRegistration;
import io.fedtune.protocol.api.registry.BaseModelView;
import io.fedtune.protocol.api.registry.ModelDeprecation;
import io.fedtune.protocol.api.registry.RegistryApi;
import io.fedtune.registry.audit.AuditLog;
import io.fedtune.registry.blob.BlobDownloads;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.validation.Valid;
import java.net.URI;
import java.util.List;
import org.springframework.http.HttpHeaders;
import org.springframework.http.ResponseEntity;
import org.springframework.security.core.Authentication;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/** Base models over REST: register, list, get, deprecate, and upload or download a checkpoint archive. */
@RestController
@RequestMapping(RegistryApi.MODELS)
@Tag(name = "models", description = "Base models that adapters are trained on")
class ModelController {

    private final ModelService models;
    private final BlobDownloads downloads;
    private final AuditLog audit;

    ModelController(ModelService models, BlobDownloads downloads, AuditLog audit) {
        this.models = models;
        this.downloads = downloads;
        this.audit = audit;
    }

    @PostMapping
    @Operation(summary = "Register a base model (ADMIN); 409 when the name is taken")
    ResponseEntity<BaseModelView> register(
            @Valid @RequestBody BaseModelRegistration registration, Authentication caller) throws Exception {
        BaseModelView view = audit.run(
                caller.getName(),
                "model.register",
                "model/" + registration.name(),
                () -> models.register(registration, caller.getName()));
        return ResponseEntity.created(URI.create(RegistryApi.model(view.id()))).body(view);
    }

    @GetMapping
    @Operation(summary = "List base models, deprecated ones included unless deprecated=false")
    List<BaseModelView> list(@RequestParam(name = "deprecated", defaultValue = "true") boolean includeDeprecated) {
        return models.list(includeDeprecated);
    }

    @GetMapping("/{model}")
    @Operation(summary = "One base model, by id or name")
    BaseModelView get(@PathVariable String model) {
        return models.get(model);
    }

    @PostMapping("/{model}/deprecate")
    @Operation(summary = "Deprecate a base model (ADMIN); idempotent")
    BaseModelView deprecate(
            @PathVariable String model,
            @Valid @RequestBody(required = false) ModelDeprecation deprecation,
            Authentication caller)
            throws Exception {
        String reason = deprecation == null ? null : deprecation.reason();
        return audit.run(
                caller.getName(),
                "model.deprecate",
                "model/" + model,
                () -> models.deprecate(model, reason, caller.getName()));
    }

    @PutMapping("/{model}/archive")
    @Operation(
            summary = "Upload the model's checkpoint as one archive (ADMIN), streamed; Fedtune-Sha256 is verified,"
                    + " and so is the SHA-256 given at registration; archives are immutable (409)")
    ResponseEntity<BaseModelView> uploadArchive(
            @PathVariable String model,
            @RequestHeader(name = HttpHeaders.CONTENT_TYPE, required = false) String contentType,
            @RequestHeader(name = RegistryApi.SHA256_HEADER, required = false) String sha256,
            HttpServletRequest request,
            Authentication caller)
            throws Exception {
        BaseModelView view = audit.run(
                caller.getName(),
                "model.archive",
                "model/" + model,
                () -> models.uploadArchive(
                        model,
                        request.getInputStream(),
                        contentType == null ? "application/octet-stream" : contentType,
                        sha256,
                        caller.getName()));
        return ResponseEntity.created(URI.create(RegistryApi.model(view.id()) + "/archive"))
                .body(view);
    }

    @GetMapping("/{model}/archive")
    @Operation(summary = "Download the model's archive; Range, If-Range and If-None-Match supported, ETag = SHA-256")
    void downloadArchive(@PathVariable String model, HttpServletRequest request, HttpServletResponse response)
            throws Exception {
        downloads.serve(request, response, models.archive(model));
    }
}
