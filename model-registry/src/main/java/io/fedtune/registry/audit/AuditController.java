package io.fedtune.registry.audit;

import io.fedtune.protocol.api.registry.RegistryApi;
import io.fedtune.protocol.api.registry.RegistryAuditEntry;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import java.util.List;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/** The registry's audit log over REST, for admins. */
@RestController
@Tag(name = "audit", description = "Admin actions on the registry")
class AuditController {

    private final AuditLog audit;

    AuditController(AuditLog audit) {
        this.audit = audit;
    }

    @GetMapping(RegistryApi.AUDIT)
    @Operation(summary = "The newest audit entries first (ADMIN); page with before=<id of the last entry seen>")
    List<RegistryAuditEntry> entries(
            @RequestParam(defaultValue = "100") @Min(1) @Max(1000) int limit,
            @RequestParam(required = false) Long before) {
        return audit.newest(limit, before);
    }
}
