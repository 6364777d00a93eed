package io.fedtune.registry.adapter;

import io.fedtune.blobstore.BlobInfo;
import io.fedtune.blobstore.BlobStore;
import io.fedtune.blobstore.BlobTooLargeException;
import io.fedtune.blobstore.ChecksumMismatchException;
import io.fedtune.blobstore.PutOptions;
import io.fedtune.protocol.api.registry.AdapterComparison;
import io.fedtune.protocol.api.registry.AdapterFederationView;
import io.fedtune.protocol.api.registry.AdapterLineage;
import io.fedtune.protocol.api.registry.AdapterTagView;
import io.fedtune.protocol.api.registry.AdapterVersionRegistration;
import io.fedtune.protocol.api.registry.AdapterVersionView;
import io.fedtune.protocol.api.registry.RegistryApi;
import io.fedtune.registry.audit.AuditLog;
import io.fedtune.registry.blob.BlobDownloads;
import io.fedtune.registry.blob.BlobKeyspace;
import io.fedtune.registry.blob.BlobProperties;
import io.fedtune.registry.blob.MultipartReader;
import io.fedtune.registry.system.RegistryException;
import io.fedtune.registry.system.RegistryMetrics;
import jakarta.validation.ConstraintViolation;
import jakarta.validation.Validator;
import java.io.IOException;
import java.io.InputStream;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.Predicate;
import java.util.zip.CRC32;
import java.util.zip.CheckedInputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Service;
import org.springframework.transaction.support.TransactionTemplate;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.json.JsonMapper;

/**
 * Adapter versions: registration (streamed, checked, immutable), the {@code latest} alias and tags, lineage and
 * comparison.
 *
 * <p>A registration streams the adapter part of the request straight into the blob store while its SHA-256, CRC-32
 * and safetensors layout are checked; only when the bytes are stored and accepted does one transaction create the
 * federation's record (first version only), the version row and the audit entry. Any failure on the way removes the
 * blob, so a refused or cut-off upload leaves no row and no blob; a crash between the two steps leaves an
 * unreferenced blob that retention removes.
 */
@Service
class AdapterService {

    private static final Logger log = LoggerFactory.getLogger(AdapterService.class);
    private static final int MAX_METADATA_BYTES = 1 << 20;
    private static final String TAG_PATTERN = "[a-z0-9][a-z0-9._-]{0,62}";

    private final AdapterRepository adapters;
    private final BlobStore blobs;
    private final BlobProperties blobProperties;
    private final AuditLog audit;
    private final RegistryMetrics metrics;
    private final TransactionTemplate transactions;
    private final JsonMapper json;
    private final Validator validator;
    private final Clock clock;

    AdapterService(
            AdapterRepository adapters,
            BlobStore blobs,
            BlobProperties blobProperties,
            AuditLog audit,
            RegistryMetrics metrics,
            TransactionTemplate transactions,
            JsonMapper json,
            Validator validator,
            Clock clock) {
        this.adapters = adapters;
        this.blobs = blobs;
        this.blobProperties = blobProperties;
        this.audit = audit;
        this.metrics = metrics;
        this.transactions = transactions;
        this.json = json;
        this.validator = validator;
        this.clock = clock;
    }

    /**
     * The outcome of a registration.
     *
     * @param created true when this request stored the version, false when it was already stored with the same bytes
     * @param version the stored version
     */
    record Registration(boolean created, AdapterVersionView version) {}

    Registration register(UUID federationId, String contentType, InputStream body, String actor) throws IOException {
        MultipartReader reader = new MultipartReader(body, MultipartReader.boundaryOf(contentType));
        AdapterVersionRegistration metadata = readMetadata(reader.next());
        MultipartReader.Part adapter = reader.next();
        if (adapter == null || !RegistryApi.ADAPTER_PART.equals(adapter.name())) {
            throw RegistryException.badRequest(
                    "invalid-multipart",
                    "The second part must be '" + RegistryApi.ADAPTER_PART + "' with the safetensors bytes");
        }
        var existing = adapters.version(federationId, metadata.version());
        if (existing.isPresent()) {
            return repeat(existing.get(), metadata, adapter.content(), reader);
        }
        adapters.federation(federationId).ifPresent(federation -> requireSameBaseModel(federation, metadata));
        requireParent(federationId, metadata);

        String key = BlobKeyspace.adapter(federationId, metadata.version());
        CRC32 crc = new CRC32();
        BlobInfo stored;
        try (InputStream checked =
                new AdapterContentCheck(new CheckedInputStream(adapter.content(), crc), metadata.peft())) {
            stored = blobs.put(
                    key, checked, new PutOptions(blobProperties.maxAdapterSize().toBytes(), metadata.sha256()));
        } catch (ChecksumMismatchException e) {
            throw RegistryException.badRequest(
                    "checksum-mismatch",
                    "The adapter's SHA-256 is " + e.actual() + ", the metadata says " + e.expected()
                            + "; nothing was kept");
        } catch (BlobTooLargeException e) {
            throw new RegistryException(
                    HttpStatus.CONTENT_TOO_LARGE,
                    "too-large",
                    "The adapter exceeds the limit of " + e.limit() + " bytes; nothing was kept");
        } catch (AdapterContentCheck.InvalidAdapterException e) {
            throw RegistryException.badRequest("invalid-adapter", e.getMessage() + "; nothing was kept");
        }
        try {
            if (metadata.sizeBytes() != null && metadata.sizeBytes() != stored.size()) {
                throw RegistryException.badRequest(
                        "size-mismatch",
                        "The adapter has " + stored.size() + " bytes, the metadata says " + metadata.sizeBytes());
            }
            if (reader.next() != null) {
                throw RegistryException.badRequest(
                        "invalid-multipart", "Nothing may follow the '" + RegistryApi.ADAPTER_PART + "' part");
            }
            Registration registration = commit(federationId, metadata, stored, crc.getValue(), key, actor);
            if (!registration.created()) {
                discard(key);
            } else {
                metrics.stored("adapter", stored.size());
                metrics.versionRegistered();
            }
            return registration;
        } catch (IOException | RuntimeException e) {
            discard(key);
            throw e;
        }
    }

    private Registration commit(
            UUID federationId,
            AdapterVersionRegistration metadata,
            BlobInfo stored,
            long crc32,
            String key,
            String actor) {
        return transactions.execute(status -> {
            Federation federation = adapters.upsertFederation(
                    federationId, metadata.federationName(), metadata.baseModel(), metadata.privacy(), clock.instant());
            requireSameBaseModel(federation, metadata);
            requireParent(federationId, metadata);
            AdapterVersion row = new AdapterVersion(
                    UUID.randomUUID(),
                    federationId,
                    metadata.version(),
                    metadata.round(),
                    metadata.parentVersion(),
                    metadata.baseModel(),
                    metadata.peft(),
                    metadata.strategy(),
                    metadata.metrics(),
                    stored.sha256(),
                    stored.size(),
                    crc32,
                    key,
                    null,
                    clock.instant(),
                    actor);
            if (!adapters.insertVersion(row)) {
                AdapterVersion winner =
                        adapters.version(federationId, metadata.version()).orElseThrow();
                if (!winner.sha256().equals(stored.sha256())) {
                    throw versionExists(winner);
                }
                return new Registration(false, view(winner));
            }
            audit.record(
                    actor,
                    "adapter.register",
                    target(federationId, metadata.version()),
                    AuditLog.OK,
                    Map.of("sha256", stored.sha256(), "sizeBytes", stored.size(), "round", metadata.round()));
            return new Registration(true, view(row));
        });
    }

    /** The same version again: a retry with the same bytes is answered with the stored version, other bytes 409. */
    private Registration repeat(
            AdapterVersion existing, AdapterVersionRegistration metadata, InputStream content, MultipartReader reader)
            throws IOException {
        MessageDigest sha256 = sha256();
        try (InputStream digesting = new DigestInputStream(content, sha256)) {
            digesting.transferTo(java.io.OutputStream.nullOutputStream());
        }
        if (reader.next() != null) {
            throw RegistryException.badRequest(
                    "invalid-multipart", "Nothing may follow the '" + RegistryApi.ADAPTER_PART + "' part");
        }
        String actual = HexFormat.of().formatHex(sha256.digest());
        if (!actual.equals(metadata.sha256())) {
            throw RegistryException.badRequest(
                    "checksum-mismatch",
                    "The adapter's SHA-256 is " + actual + ", the metadata says " + metadata.sha256());
        }
        if (!existing.sha256().equals(actual)) {
            throw versionExists(existing);
        }
        return new Registration(false, view(existing));
    }

    private static RegistryException versionExists(AdapterVersion existing) {
        return RegistryException.conflict(
                "version-exists",
                "Federation " + existing.federationId() + " already has version " + existing.version()
                        + " with SHA-256 " + existing.sha256() + "; versions are immutable");
    }

    private AdapterVersionRegistration readMetadata(MultipartReader.Part part) throws IOException {
        if (part == null || !RegistryApi.METADATA_PART.equals(part.name())) {
            throw RegistryException.badRequest(
                    "invalid-multipart",
                    "The first part must be '" + RegistryApi.METADATA_PART + "' with the version's JSON metadata");
        }
        byte[] bytes = part.content().readNBytes(MAX_METADATA_BYTES + 1);
        if (bytes.length > MAX_METADATA_BYTES) {
            throw RegistryException.badRequest("invalid-metadata", "The metadata part exceeds 1 MiB");
        }
        AdapterVersionRegistration metadata;
        try {
            metadata = json.readValue(bytes, AdapterVersionRegistration.class);
        } catch (JacksonException e) {
            throw RegistryException.badRequest(
                    "invalid-metadata", "Malformed metadata JSON: " + e.getOriginalMessage());
        }
        if (metadata == null) {
            throw RegistryException.badRequest("invalid-metadata", "The metadata part is empty");
        }
        Set<ConstraintViolation<AdapterVersionRegistration>> violations = validator.validate(metadata);
        if (!violations.isEmpty()) {
            List<String> messages = violations.stream()
                    .map(v -> v.getPropertyPath() + " " + v.getMessage())
                    .sorted()
                    .toList();
            throw RegistryException.badRequest("invalid-metadata", "Invalid metadata: " + messages);
        }
        return metadata;
    }

    private static void requireSameBaseModel(Federation federation, AdapterVersionRegistration metadata) {
        if (!federation.baseModel().equals(metadata.baseModel())) {
            throw RegistryException.conflict(
                    "base-model-mismatch",
                    "Federation " + federation.id() + " adapts base model '" + federation.baseModel() + "', not '"
                            + metadata.baseModel() + "'");
        }
    }

    private void requireParent(UUID federationId, AdapterVersionRegistration metadata) {
        Integer parent = metadata.parentVersion();
        if (parent != null && adapters.version(federationId, parent).isEmpty()) {
            throw RegistryException.badRequest(
                    "unknown-parent", "Federation " + federationId + " has no version " + parent + " to descend from");
        }
    }

    // reading

    List<AdapterFederationView> federations(Predicate<UUID> visible) {
        Map<UUID, int[]> counts = adapters.versionCounts();
        return adapters.federations().stream()
                .filter(federation -> visible.test(federation.id()))
                .map(federation -> federationView(federation, counts.get(federation.id())))
                .toList();
    }

    AdapterFederationView federation(UUID federationId) {
        Federation federation = requireFederation(federationId);
        return federationView(federation, adapters.versionCounts().get(federationId));
    }

    private AdapterFederationView federationView(Federation federation, int[] counts) {
        Map<String, Integer> tags = new LinkedHashMap<>();
        adapters.tags(federation.id()).forEach(tag -> tags.put(tag.tag(), tag.version()));
        return new AdapterFederationView(
                federation.id(),
                federation.name(),
                federation.baseModel(),
                federation.privacy(),
                counts == null ? 0 : counts[0],
                counts == null ? null : counts[1],
                tags,
                federation.createdAt());
    }

    List<AdapterVersionView> versions(UUID federationId) {
        requireFederation(federationId);
        Map<Integer, List<String>> tags = adapters.tagsByVersion(federationId);
        return adapters.versions(federationId).stream()
                .map(v -> v.toView(tags.getOrDefault(v.version(), List.of())))
                .toList();
    }

    AdapterVersionView view(UUID federationId, VersionRef ref) {
        return view(resolve(federationId, ref));
    }

    /** The version a reference names now. */
    AdapterVersion resolve(UUID federationId, VersionRef ref) {
        requireFederation(federationId);
        if (ref.number() != null) {
            return adapters.version(federationId, ref.number())
                    .orElseThrow(() -> RegistryException.notFound(
                            "unknown-version", "Federation " + federationId + " has no version " + ref.number()));
        }
        if (ref.tag() != null) {
            AdapterTagView tag = adapters.tag(federationId, ref.tag())
                    .orElseThrow(() -> RegistryException.notFound(
                            "unknown-tag", "Federation " + federationId + " has no tag '" + ref.tag() + "'"));
            return adapters.version(federationId, tag.version()).orElseThrow();
        }
        return adapters.latest(federationId)
                .orElseThrow(() -> RegistryException.notFound(
                        "unknown-version", "Federation " + federationId + " has no versions"));
    }

    Federation requireFederation(UUID federationId) {
        return adapters.federation(federationId)
                .orElseThrow(() -> RegistryException.notFound(
                        "unknown-federation", "The registry knows no federation " + federationId));
    }

    /** What to send for a version's safetensors download. */
    BlobDownloads.Download content(UUID federationId, VersionRef ref) {
        AdapterVersion version = resolve(federationId, ref);
        requireContent(version);
        return new BlobDownloads.Download(
                version.blobKey(),
                version.sizeBytes(),
                version.sha256(),
                "application/octet-stream",
                "adapter_model.safetensors",
                ref.fixed(),
                "adapter");
    }

    static void requireContent(AdapterVersion version) {
        if (version.pruned()) {
            throw new RegistryException(
                    HttpStatus.GONE,
                    "content-pruned",
                    "Retention removed the content of version " + version.version() + " at " + version.prunedAt()
                            + "; its record and lineage remain");
        }
    }

    AdapterLineage lineage(UUID federationId, int version) {
        AdapterVersion start = resolve(federationId, VersionRef.of(version, null));
        Map<Integer, List<String>> tags = adapters.tagsByVersion(federationId);
        List<AdapterVersionView> ancestors = adapters.ancestors(federationId, start.version()).stream()
                .map(v -> v.toView(tags.getOrDefault(v.version(), List.of())))
                .toList();
        return new AdapterLineage(federationId, start.version(), ancestors);
    }

    AdapterComparison compare(UUID federationId, int version, int with) {
        AdapterVersion a = resolve(federationId, VersionRef.of(version, null));
        AdapterVersion b = resolve(federationId, VersionRef.of(with, null));
        Map<String, Double> left = a.metrics().byName();
        Map<String, Double> right = b.metrics().byName();
        Set<String> names = new LinkedHashSet<>(left.keySet());
        names.addAll(right.keySet());
        List<AdapterComparison.MetricComparison> metrics = new ArrayList<>();
        for (String name : names) {
            Double x = left.get(name);
            Double y = right.get(name);
            metrics.add(new AdapterComparison.MetricComparison(name, x, y, x == null || y == null ? null : y - x));
        }
        return new AdapterComparison(
                federationId, version, with, metrics, a.sha256().equals(b.sha256()), generations(a, b));
    }

    private Integer generations(AdapterVersion a, AdapterVersion b) {
        if (a.version() == b.version()) {
            return 0;
        }
        AdapterVersion newer = a.version() > b.version() ? a : b;
        AdapterVersion older = newer == a ? b : a;
        List<AdapterVersion> ancestors = adapters.ancestors(newer.federationId(), newer.version());
        for (int i = 0; i < ancestors.size(); i++) {
            if (ancestors.get(i).version() == older.version()) {
                return i + 1;
            }
        }
        return null;
    }

    // tags

    List<AdapterTagView> tags(UUID federationId) {
        requireFederation(federationId);
        return adapters.tags(federationId);
    }

    AdapterTagView tag(UUID federationId, String tag, int version, String actor) {
        requireTagName(tag);
        return transactions.execute(status -> {
            requireFederation(federationId);
            AdapterVersion target = adapters.lockVersion(federationId, version)
                    .orElseThrow(() -> RegistryException.notFound(
                            "unknown-version", "Federation " + federationId + " has no version " + version));
            if (target.pruned()) {
                throw RegistryException.conflict(
                        "content-pruned", "Version " + version + " was pruned by retention and cannot be tagged");
            }
            Integer previous =
                    adapters.tag(federationId, tag).map(AdapterTagView::version).orElse(null);
            adapters.putTag(federationId, tag, version, clock.instant(), actor);
            Map<String, Object> detail = new LinkedHashMap<>();
            detail.put("version", version);
            detail.put("previousVersion", previous);
            audit.record(actor, "adapter.tag", target(federationId, version) + "/tags/" + tag, AuditLog.OK, detail);
            return adapters.tag(federationId, tag).orElseThrow();
        });
    }

    void untag(UUID federationId, String tag, String actor) {
        transactions.executeWithoutResult(status -> {
            requireFederation(federationId);
            AdapterTagView existing = adapters.tag(federationId, tag)
                    .orElseThrow(() -> RegistryException.notFound(
                            "unknown-tag", "Federation " + federationId + " has no tag '" + tag + "'"));
            adapters.deleteTag(federationId, tag);
            audit.record(
                    actor,
                    "adapter.untag",
                    "federation/" + federationId + "/tags/" + tag,
                    AuditLog.OK,
                    Map.of("version", existing.version()));
        });
    }

    private static void requireTagName(String tag) {
        if (!tag.matches(TAG_PATTERN) || RegistryApi.LATEST.equals(tag)) {
            throw RegistryException.badRequest(
                    "invalid-tag",
                    "A tag is 1 to 63 of a-z 0-9 . _ - starting with a letter or digit, and not 'latest': " + tag);
        }
    }

    AdapterVersionView view(AdapterVersion version) {
        return version.toView(
                adapters.tagsByVersion(version.federationId()).getOrDefault(version.version(), List.of()));
    }

    static String target(UUID federationId, int version) {
        return "federation/" + federationId + "/versions/" + version;
    }

    private void discard(String key) {
        try {
            blobs.delete(key);
        } catch (IOException e) {
            log.warn("Could not delete blob {}; retention removes it as an orphan: {}", key, e.getMessage());
        }
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
