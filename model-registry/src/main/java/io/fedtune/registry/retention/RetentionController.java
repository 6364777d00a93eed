package io.fedtune.registry.retention;

import io.fedtune.protocol.api.registry.RegistryApi;
import io.fedtune.protocol.api.registry.RetentionReport;
import io.fedtune.registry.audit.AuditLog;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import java.util.Map;
import org.springframework.security.core.Authentication;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RestController;

/** Runs retention on demand. */
@RestController
@Tag(name = "retention", description = "Pruning old adapter content and orphan blobs")
class RetentionController {

    private final RetentionService retention;
    private final AuditLog audit;

    RetentionController(RetentionService retention, AuditLog audit) {
        this.retention = retention;
        this.audit = audit;
    }

    @PostMapping(RegistryApi.RETENTION)
    @Operation(summary = "Run a retention pass now (ADMIN) and report what it removed")
    RetentionReport run(Authentication caller) {
        RetentionReport report = retention.run(caller.getName());
        audit.record(
                caller.getName(),
                "retention.run",
                "retention",
                AuditLog.OK,
                Map.of(
                        "prunedVersions", report.prunedVersions(),
                        "deletedOrphans", report.deletedOrphans(),
                        "freedBytes", report.freedBytes()));
        return report;
    }
}
