package io.fedtune.registry.model;

import io.fedtune.blobstore.BlobInfo;
import io.fedtune.blobstore.BlobStore;
import io.fedtune.blobstore.BlobTooLargeException;
import io.fedtune.blobstore.ChecksumMismatchException;
import io.fedtune.blobstore.PutOptions;
import io.fedtune.protocol.api.registry.BaseModelRegistration;
import io.fedtune.protocol.api.registry.BaseModelView;
import io.fedtune.registry.audit.AuditLog;
import io.fedtune.registry.blob.BlobDownloads;
import io.fedtune.registry.blob.BlobKeyspace;
import io.fedtune.registry.blob.BlobProperties;
import io.fedtune.registry.system.RegistryException;
import io.fedtune.registry.system.RegistryMetrics;
import java.io.IOException;
import java.io.InputStream;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Service;
import org.springframework.transaction.support.TransactionTemplate;

/** Registers, lists and deprecates base models, and keeps their uploaded checkpoint archives. */
@Service
class ModelService {

    private static final Logger log = LoggerFactory.getLogger(ModelService.class);

    private final ModelRepository models;
    private final BlobStore blobs;
    private final BlobProperties blobProperties;
    private final AuditLog audit;
    private final RegistryMetrics metrics;
    private final TransactionTemplate transactions;
    private final Clock clock;

    ModelService(
            ModelRepository models,
            BlobStore blobs,
            BlobProperties blobProperties,
            AuditLog audit,
            RegistryMetrics metrics,
            TransactionTemplate transactions,
            Clock clock) {
        this.models = models;
        this.blobs = blobs;
        this.blobProperties = blobProperties;
        this.audit = audit;
        this.metrics = metrics;
        this.transactions = transactions;
        this.clock = clock;
    }

    BaseModelView register(BaseModelRegistration registration, String actor) {
        UUID id = UUID.randomUUID();
        String target = "model/" + registration.name();
        return transactions.execute(status -> {
            if (!models.insert(id, registration, clock.instant(), actor)) {
                throw RegistryException.conflict(
                        "model-exists", "A base model named '" + registration.name() + "' is already registered");
            }
            audit.record(actor, "model.register", target, AuditLog.OK, Map.of("id", id.toString()));
            return models.findById(id).orElseThrow().toView();
        });
    }

    List<BaseModelView> list(boolean includeDeprecated) {
        return models.list(includeDeprecated).stream().map(BaseModel::toView).toList();
    }

    BaseModelView get(String reference) {
        return find(reference).toView();
    }

    BaseModelView deprecate(String reference, String reason, String actor) {
        return transactions.execute(status -> {
            BaseModel model = find(reference);
            models.deprecate(model.id(), reason, clock.instant());
            Map<String, Object> detail = new LinkedHashMap<>();
            detail.put("reason", reason == null ? "" : reason);
            audit.record(actor, "model.deprecate", "model/" + model.id(), AuditLog.OK, detail);
            return models.findById(model.id()).orElseThrow().toView();
        });
    }

    /**
     * Streams a checkpoint archive into the blob store, verifying the declared (or registered) SHA-256, and attaches
     * it to the model. Any failure leaves neither blob nor change behind.
     */
    BaseModelView uploadArchive(
            String reference, InputStream body, String contentType, String declaredSha256, String actor)
            throws IOException {
        BaseModel model = find(reference);
        if (model.archiveBlobKey() != null) {
            throw RegistryException.conflict(
                    "archive-exists", "Base model " + model.name() + " already has an archive; archives are immutable");
        }
        String expected = expectedSha256(model, declaredSha256);
        String key = BlobKeyspace.modelArchive(model.id());
        BlobInfo stored;
        try {
            stored = blobs.put(
                    key, body, new PutOptions(blobProperties.maxArchiveSize().toBytes(), expected));
        } catch (ChecksumMismatchException e) {
            throw RegistryException.badRequest(
                    "checksum-mismatch",
                    "The archive's SHA-256 is " + e.actual() + ", expected " + e.expected() + "; nothing was kept");
        } catch (BlobTooLargeException e) {
            throw new RegistryException(
                    HttpStatus.CONTENT_TOO_LARGE,
                    "too-large",
                    "The archive exceeds the limit of " + e.limit() + " bytes; nothing was kept");
        }
        if (model.sizeBytes() != null && model.sha256() == null && model.sizeBytes() != stored.size()) {
            discard(key);
            throw RegistryException.badRequest(
                    "size-mismatch",
                    "The archive has " + stored.size() + " bytes, the model was registered with " + model.sizeBytes());
        }
        try {
            BaseModelView view = transactions.execute(status -> {
                if (!models.attachArchive(
                        model.id(), key, contentType, stored.sha256(), stored.size(), clock.instant())) {
                    throw RegistryException.conflict(
                            "archive-exists", "Base model " + model.name() + " already has an archive");
                }
                audit.record(
                        actor,
                        "model.archive",
                        "model/" + model.id(),
                        AuditLog.OK,
                        Map.of("sha256", stored.sha256(), "sizeBytes", stored.size()));
                return models.findById(model.id()).orElseThrow().toView();
            });
            metrics.stored("model_archive", stored.size());
            return view;
        } catch (RuntimeException e) {
            discard(key);
            throw e;
        }
    }

    BlobDownloads.Download archive(String reference) {
        BaseModel model = find(reference);
        if (model.archiveBlobKey() == null) {
            throw RegistryException.notFound("no-archive", "Base model " + model.name() + " has no uploaded archive");
        }
        return new BlobDownloads.Download(
                model.archiveBlobKey(),
                model.archiveSizeBytes(),
                model.archiveSha256(),
                model.archiveContentType(),
                model.name() + archiveExtension(model.archiveContentType()),
                true,
                "model_archive");
    }

    private BaseModel find(String reference) {
        return models.find(reference)
                .orElseThrow(() -> RegistryException.notFound("unknown-model", "No base model " + reference));
    }

    private static String expectedSha256(BaseModel model, String declared) {
        if (declared != null && !declared.matches("[0-9a-fA-F]{64}")) {
            throw RegistryException.badRequest("invalid-checksum", "Fedtune-Sha256 must be 64 hex digits");
        }
        String lower = declared == null ? null : declared.toLowerCase(java.util.Locale.ROOT);
        if (lower != null && model.sha256() != null && !lower.equals(model.sha256())) {
            throw RegistryException.badRequest(
                    "checksum-mismatch",
                    "Fedtune-Sha256 " + lower + " differs from the registered SHA-256 " + model.sha256());
        }
        return lower != null ? lower : model.sha256();
    }

    private static String archiveExtension(String contentType) {
        if (contentType == null) {
            return ".bin";
        }
        return switch (contentType) {
            case "application/zip" -> ".zip";
            case "application/gzip", "application/x-gzip" -> ".tar.gz";
            case "application/x-tar" -> ".tar";
            case "application/zstd" -> ".tar.zst";
            default -> ".bin";
        };
    }

    private void discard(String key) {
        try {
            blobs.delete(key);
        } catch (IOException e) {
            log.warn("Could not delete blob {}; retention removes it as an orphan: {}", key, e.getMessage());
        }
    }
}
