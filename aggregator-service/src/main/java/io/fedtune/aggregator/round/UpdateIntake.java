package io.fedtune.aggregator.round;

import io.fedtune.aggregator.aggregation.AdapterLayout;
import io.fedtune.aggregator.aggregation.BlobTensorInput;
import io.fedtune.aggregator.aggregation.FloatReader;
import io.fedtune.aggregator.aggregation.InvalidTensorFileException;
import io.fedtune.aggregator.aggregation.SafetensorsFileWriter;
import io.fedtune.aggregator.aggregation.SafetensorsHeader;
import io.fedtune.aggregator.aggregation.TensorInput;
import io.fedtune.aggregator.aggregation.TensorSpec;
import io.fedtune.aggregator.aggregation.UpdateDecoder;
import io.fedtune.aggregator.client.ClientDirectory;
import io.fedtune.aggregator.federation.Federation;
import io.fedtune.aggregator.federation.FederationService;
import io.fedtune.aggregator.system.AggregatorException;
import io.fedtune.aggregator.system.AggregatorProperties;
import io.fedtune.aggregator.system.StateMachines;
import io.fedtune.blobstore.BlobInfo;
import io.fedtune.blobstore.BlobStore;
import io.fedtune.blobstore.BlobTooLargeException;
import io.fedtune.blobstore.ChecksumMismatchException;
import io.fedtune.blobstore.PutOptions;
import io.fedtune.protocol.api.AssignmentStatus;
import io.fedtune.protocol.api.FailureReport;
import io.fedtune.protocol.api.FederationConfig;
import io.fedtune.protocol.api.LoraMode;
import io.fedtune.protocol.api.NormPolicy;
import io.fedtune.protocol.api.PeftMethod;
import io.fedtune.protocol.api.PrivacyMode;
import io.fedtune.protocol.api.UpdateCodec;
import io.fedtune.protocol.api.UpdateMetadata;
import io.fedtune.protocol.api.UpdateReceipt;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import org.springframework.http.HttpStatus;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Service;
import org.springframework.transaction.support.TransactionTemplate;
import tools.jackson.databind.json.JsonMapper;

/**
 * Accepts updates: streams the body into the blob store (size limit and SHA-256 checked while it streams), checks
 * the tensors against the federation's adapter (keys, shapes, dtypes, finite values, norm bound), then records the
 * update and moves the assignment to SUBMITTED in one transaction that also bumps the round's version (so a
 * concurrent close retries instead of missing it). Anything that fails leaves no row, and its blob is deleted.
 * Idempotent per (round, client): the same SHA-256 again returns the first receipt, a different one is a 409.
 */
@Service
public class UpdateIntake {

    private final JdbcClient jdbc;
    private final BlobStore blobs;
    private final FederationService federations;
    private final AdapterStore adapters;
    private final AggregatorProperties properties;
    private final TransactionTemplate tx;
    private final Clock clock;
    private final JsonMapper json;
    private final MeterRegistry meters;

    UpdateIntake(
            JdbcClient jdbc,
            BlobStore blobs,
            FederationService federations,
            AdapterStore adapters,
            AggregatorProperties properties,
            TransactionTemplate tx,
            Clock clock,
            JsonMapper json,
            MeterRegistry meters) {
        this.jdbc = jdbc;
        this.blobs = blobs;
        this.federations = federations;
        this.adapters = adapters;
        this.properties = properties;
        this.tx = tx;
        this.clock = clock;
        this.json = json;
        this.meters = meters;
    }

    private record Target(Round round, long assignmentId, AssignmentStatus status) {}

    private record Existing(String sha256, long size, Instant receivedAt) {}

    /** Accepts one upload; {@code contentLength} is -1 when unknown. */
    public UpdateReceipt accept(
            ClientDirectory.Agent agent,
            UUID federationId,
            int roundNumber,
            UpdateMetadata metadata,
            long contentLength,
            InputStream body) {
        try {
            return acceptChecked(agent, federationId, roundNumber, metadata, contentLength, body);
        } catch (AggregatorException e) {
            meters.counter(
                            "fedtune.updates",
                            "outcome",
                            "rejected",
                            "reason",
                            e.type().toString().substring(20))
                    .increment();
            throw e;
        }
    }

    private UpdateReceipt acceptChecked(
            ClientDirectory.Agent agent,
            UUID federationId,
            int roundNumber,
            UpdateMetadata metadata,
            long contentLength,
            InputStream body) {
        if (!agent.federationId().equals(federationId)) {
            throw new AggregatorException(HttpStatus.FORBIDDEN, "wrong-federation", "Not a client of " + federationId);
        }
        Federation federation = federations.get(federationId);
        FederationConfig config = federation.config();
        Target target = target(agent, federationId, roundNumber);
        Optional<Existing> existing = existing(target.round().id(), agent.id());
        if (existing.isPresent()) {
            return duplicate(agent, federationId, roundNumber, metadata, existing.get());
        }
        if (target.status() != AssignmentStatus.ASSIGNED && target.status() != AssignmentStatus.DOWNLOADED) {
            throw new AggregatorException(
                    HttpStatus.CONFLICT, "assignment-closed", "This client's assignment is " + target.status());
        }
        if (metadata.codec() != config.codec().upload()) {
            throw new AggregatorException(
                    HttpStatus.UNPROCESSABLE_CONTENT,
                    "wrong-codec",
                    "The federation expects codec "
                            + config.codec().upload().name().toLowerCase());
        }
        requireLocalDp(config, metadata);
        long limit = config.bounds().maxUploadBytes() > 0
                ? Math.min(config.bounds().maxUploadBytes(), properties.maxUploadBytes())
                : properties.maxUploadBytes();
        if (contentLength > limit) {
            throw tooLarge(limit);
        }
        String key = "updates/" + federationId + "/r" + roundNumber + "-a"
                + target.round().attempt() + "/" + agent.id() + "-" + UUID.randomUUID() + ".safetensors";
        BlobInfo stored;
        try {
            stored = blobs.put(
                    key, body, PutOptions.defaults().withMaxBytes(limit).withExpectedSha256(metadata.sha256()));
        } catch (BlobTooLargeException e) {
            throw tooLarge(limit);
        } catch (ChecksumMismatchException e) {
            throw new AggregatorException(HttpStatus.UNPROCESSABLE_CONTENT, "checksum-mismatch", e.getMessage());
        } catch (IOException e) {
            throw new AggregatorException(
                    HttpStatus.BAD_REQUEST, "upload-interrupted", "The body could not be read: " + e.getMessage());
        }
        boolean recorded = false;
        Checked checked = null;
        try {
            AdapterVersion base =
                    adapters.find(federationId, target.round().baseVersion()).orElseThrow();
            checked = check(config, metadata.codec(), key, base);
            double norm = checked.norm();
            double clip = 1.0;
            if (config.bounds().maxNorm() > 0 && norm > config.bounds().maxNorm()) {
                if (config.bounds().normPolicy() == NormPolicy.REJECT) {
                    throw new AggregatorException(
                            HttpStatus.UNPROCESSABLE_CONTENT,
                            "norm-exceeded",
                            String.format(
                                    "The update's delta norm %.4g exceeds the bound %.4g",
                                    norm, config.bounds().maxNorm()));
                }
                clip = config.bounds().maxNorm() / norm;
            }
            UpdateReceipt receipt =
                    record(agent, federationId, target, metadata, stored, checked.blobKey(), norm, clip);
            recorded = !receipt.duplicate();
            meters.counter("fedtune.updates", "outcome", "accepted", "reason", "ok")
                    .increment();
            meters.counter("fedtune.updates.bytes.in").increment(stored.size());
            return receipt;
        } finally {
            if (!recorded || (checked != null && !checked.blobKey().equals(key))) {
                deleteQuietly(key);
            }
            if (!recorded && checked != null && !checked.blobKey().equals(key)) {
                deleteQuietly(checked.blobKey());
            }
        }
    }

    /** What the checks found: the blob the strategies read (the upload, or its F32 decoding) and the delta norm. */
    private record Checked(String blobKey, double norm) {}

    /** Under local DP an update must say it was clipped and noised at least as the federation asks. */
    private static void requireLocalDp(FederationConfig config, UpdateMetadata metadata) {
        if (config.privacy().mode() != PrivacyMode.LOCAL_DP) {
            return;
        }
        UpdateMetadata.LocalDp applied = metadata.localDp();
        if (applied == null
                || !(applied.clipNorm() <= config.privacy().clipNorm())
                || !(applied.noiseMultiplier() >= config.privacy().noiseMultiplier())) {
            throw new AggregatorException(
                    HttpStatus.UNPROCESSABLE_CONTENT,
                    "local-dp-required",
                    String.format(
                            "The federation requires local DP with clip norm at most %.4g and noise multiplier at"
                                    + " least %.4g; the update's metadata says %s",
                            config.privacy().clipNorm(),
                            config.privacy().noiseMultiplier(),
                            applied == null ? "none was applied" : applied.toString()));
        }
    }

    private static AggregatorException tooLarge(long limit) {
        return new AggregatorException(
                HttpStatus.CONTENT_TOO_LARGE,
                "upload-too-large",
                "The update exceeds the limit of " + limit + " bytes");
    }

    private Target target(ClientDirectory.Agent agent, UUID federationId, int roundNumber) {
        Round round = jdbc.sql(
                        "SELECT * FROM round WHERE federation_id = ? AND number = ?" + " ORDER BY attempt DESC LIMIT 1")
                .params(federationId, roundNumber)
                .query(Round::map)
                .optional()
                .orElseThrow(() -> new AggregatorException(
                        HttpStatus.NOT_FOUND, "no-such-round", "Round " + roundNumber + " does not exist"));
        record A(long id, AssignmentStatus status) {}
        A assignment = jdbc.sql("SELECT id, status FROM assignment WHERE round_id = ? AND client_id = ?")
                .params(round.id(), agent.id())
                .query((rs, n) -> new A(rs.getLong(1), AssignmentStatus.valueOf(rs.getString(2))))
                .optional()
                .orElseThrow(() -> new AggregatorException(
                        HttpStatus.FORBIDDEN, "not-assigned", "This client is not assigned to round " + roundNumber));
        if (round.status() != io.fedtune.protocol.api.RoundStatus.COLLECTING
                && assignment.status() != AssignmentStatus.SUBMITTED) {
            throw new AggregatorException(
                    HttpStatus.CONFLICT, "round-closed", "Round " + roundNumber + " is " + round.status());
        }
        return new Target(round, assignment.id(), assignment.status());
    }

    private Optional<Existing> existing(long roundId, UUID clientId) {
        return jdbc.sql(
                        "SELECT sha256, size_bytes, received_at FROM client_update WHERE round_id = ? AND client_id = ?")
                .params(roundId, clientId)
                .query((rs, n) -> new Existing(
                        rs.getString(1), rs.getLong(2), rs.getTimestamp(3).toInstant()))
                .optional();
    }

    private UpdateReceipt duplicate(
            ClientDirectory.Agent agent, UUID federationId, int round, UpdateMetadata metadata, Existing existing) {
        if (!existing.sha256().equals(metadata.sha256())) {
            throw new AggregatorException(
                    HttpStatus.CONFLICT,
                    "update-conflict",
                    "A different update (SHA-256 " + existing.sha256() + ") was accepted for this round already");
        }
        return new UpdateReceipt(
                federationId, round, agent.id(), existing.sha256(), existing.size(), existing.receivedAt(), true);
    }

    private UpdateReceipt record(
            ClientDirectory.Agent agent,
            UUID federationId,
            Target target,
            UpdateMetadata metadata,
            BlobInfo stored,
            String blobKey,
            double norm,
            double clip) {
        return tx.execute(status -> {
            Optional<Existing> raced = existing(target.round().id(), agent.id());
            if (raced.isPresent()) {
                return duplicate(agent, federationId, target.round().number(), metadata, raced.get());
            }
            int open = jdbc.sql("UPDATE round SET submitted = submitted + 1, version = version + 1"
                            + " WHERE id = ? AND status = 'COLLECTING'")
                    .param(target.round().id())
                    .update();
            if (open == 0) {
                throw new AggregatorException(
                        HttpStatus.CONFLICT,
                        "round-closed",
                        "Round " + target.round().number() + " closed meanwhile");
            }
            Instant now = clock.instant();
            AssignmentStatus from = jdbc.sql("SELECT status FROM assignment WHERE id = ? FOR UPDATE")
                    .param(target.assignmentId())
                    .query((rs, n) -> AssignmentStatus.valueOf(rs.getString(1)))
                    .single();
            if (!StateMachines.ASSIGNMENT.canMove(from, AssignmentStatus.SUBMITTED)) {
                throw new AggregatorException(
                        HttpStatus.CONFLICT, "assignment-closed", "This client's assignment is " + from);
            }
            jdbc.sql("UPDATE assignment SET status = 'SUBMITTED', finished_at = ?, version = version + 1 WHERE id = ?")
                    .params(Timestamp.from(now), target.assignmentId())
                    .update();
            jdbc.sql("INSERT INTO client_update (round_id, client_id, blob_key, sha256, size_bytes, example_count,"
                            + " codec, base_version, norm, clip_factor, metrics, training_ms, received_at)"
                            + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?::jsonb, ?, ?)")
                    .params(
                            target.round().id(),
                            agent.id(),
                            blobKey,
                            stored.sha256(),
                            stored.size(),
                            metadata.exampleCount(),
                            metadata.codec().name(),
                            metadata.baseVersion(),
                            norm,
                            clip,
                            json.writeValueAsString(metadata.metrics() == null ? Map.of() : metadata.metrics()),
                            metadata.trainingMillis(),
                            Timestamp.from(now))
                    .update();
            return new UpdateReceipt(
                    federationId, target.round().number(), agent.id(), stored.sha256(), stored.size(), now, false);
        });
    }

    /**
     * Checks the stored update against the federation's adapter: first its codec mark and the logical tensors it
     * claims (names and shapes), read from the header alone; then, for the codecs that need it, decodes it to F32 into
     * a blob of its own; then reads every value once for finiteness and the L2 norm of its delta to the global adapter
     * (to zero in stack mode, whose updates are fresh adapters).
     */
    private Checked check(FederationConfig config, UpdateCodec codec, String key, AdapterVersion base) {
        String decodedKey = null;
        boolean done = false;
        try {
            BlobTensorInput update = BlobTensorInput.open(blobs, key);
            BlobTensorInput global = BlobTensorInput.open(blobs, base.blobKey());
            AdapterLayout layout = AdapterLayout.of(config);
            LoraMode mode = layout.method() == PeftMethod.PROMPT_TUNING
                    ? LoraMode.FEDIT
                    : config.strategy().loraMode();
            String wire = wireName(codec);
            String mark = UpdateDecoder.codecOf(update.header());
            if (mark == null ? UpdateDecoder.needsDecoding(wire) : !mark.equals(wire)) {
                throw new AggregatorException(
                        HttpStatus.UNPROCESSABLE_CONTENT,
                        "wrong-codec",
                        "The body was encoded with codec "
                                + (mark == null ? "f32 (it carries no fedtune.codec mark)" : mark)
                                + ", but its metadata and the federation say " + wire);
            }
            List<TensorSpec> claimed;
            if (UpdateDecoder.needsDecoding(wire)) {
                claimed = UpdateDecoder.tensors(wire, update.header());
            } else {
                String dtype = codec == UpdateCodec.F16 ? "F16" : "F32";
                for (SafetensorsHeader.Entry entry : update.header().tensors()) {
                    if (!entry.dtype().equals(dtype)) {
                        throw invalid("tensor " + entry.name() + " is " + entry.dtype() + ", expected " + dtype);
                    }
                }
                claimed = update.header().tensors().stream()
                        .map(SafetensorsHeader.Entry::spec)
                        .toList();
            }
            checkNamesAndShapes(layout, mode, claimed);
            TensorInput values = update;
            if (UpdateDecoder.needsDecoding(wire)) {
                decodedKey = key.replace(".safetensors", ".f32.safetensors");
                values = decode(wire, update, claimed, global, mode, decodedKey);
            }
            double sumSquares = 0;
            float[] y = new float[1 << 14];
            float[] x = new float[1 << 14];
            for (TensorSpec entry : claimed) {
                boolean compare =
                        mode != LoraMode.STACK && java.util.Arrays.equals(global.shape(entry.name()), entry.shape());
                try (FloatReader reader = values.open(entry.name(), 0, entry.elements());
                        FloatReader globalReader = compare ? global.open(entry.name(), 0, entry.elements()) : null) {
                    for (long read = 0; read < entry.elements(); ) {
                        int n = (int) Math.min(y.length, entry.elements() - read);
                        reader.read(y, 0, n);
                        if (globalReader != null) {
                            globalReader.read(x, 0, n);
                        }
                        for (int j = 0; j < n; j++) {
                            if (!Float.isFinite(y[j])) {
                                throw invalid("tensor " + entry.name() + " holds a non-finite value at element "
                                        + (read + j));
                            }
                            double d = globalReader == null ? y[j] : y[j] - x[j];
                            sumSquares += d * d;
                        }
                        read += n;
                    }
                }
            }
            done = true;
            return new Checked(decodedKey == null ? key : decodedKey, Math.sqrt(sumSquares));
        } catch (InvalidTensorFileException e) {
            throw invalid(e.getMessage());
        } catch (java.io.EOFException e) {
            throw invalid("the body ends early: " + e.getMessage());
        } catch (IOException e) {
            throw new AggregatorException(HttpStatus.INTERNAL_SERVER_ERROR, "storage", e.getMessage());
        } finally {
            if (!done && decodedKey != null) {
                deleteQuietly(decodedKey);
            }
        }
    }

    private static String wireName(UpdateCodec codec) {
        return codec.name().toLowerCase(java.util.Locale.ROOT);
    }

    /** Checks the claimed tensors' names and shapes against the federation's adapter, before any value is read. */
    private static void checkNamesAndShapes(AdapterLayout layout, LoraMode mode, List<TensorSpec> claimed) {
        Map<String, int[]> expected = expectedShapes(layout, mode);
        Set<String> present = new TreeSet<>();
        claimed.forEach(e -> present.add(e.name()));
        Set<String> missing = new TreeSet<>(expected.keySet());
        missing.removeAll(present);
        Set<String> unexpected = new TreeSet<>(present);
        unexpected.removeAll(expected.keySet());
        if (!missing.isEmpty() || !unexpected.isEmpty()) {
            throw invalid("tensor names do not match the federation's adapter: missing " + abbreviate(missing)
                    + ", unexpected " + abbreviate(unexpected));
        }
        Map<String, Integer> ranks = new HashMap<>();
        for (TensorSpec entry : claimed) {
            int[] want = expected.get(entry.name());
            if (!shapeFits(entry, want, layout, mode, ranks)) {
                throw invalid("tensor " + entry.name() + " has shape " + java.util.Arrays.toString(entry.shape())
                        + ", expected " + java.util.Arrays.toString(want)
                        + (AdapterLayout.allowsLowerRank(mode) ? " (rank at most " + layout.rank() + ")" : ""));
            }
        }
        if (mode == LoraMode.STACK && new HashSet<>(ranks.values()).size() > 1) {
            throw invalid("in stack mode every module of an update must have the same rank");
        }
    }

    /**
     * Decodes an int8 or top-k body into an F32 blob under {@code decodedKey} (through a temporary file, streamed)
     * and returns it. Top-k values apply to the global tensor of the same shape, except in stack mode.
     */
    private TensorInput decode(
            String codec,
            BlobTensorInput update,
            List<TensorSpec> tensors,
            BlobTensorInput global,
            LoraMode mode,
            String decodedKey)
            throws IOException {
        SafetensorsFileWriter writer =
                SafetensorsFileWriter.temporary(tensors, Map.of("format", "pt", "fedtune.decoded-from", codec));
        try {
            try (writer) {
                UpdateDecoder.decode(
                        codec,
                        update,
                        tensors,
                        spec -> mode != LoraMode.STACK
                                        && java.util.Arrays.equals(global.shape(spec.name()), spec.shape())
                                ? global
                                : null,
                        writer);
            }
            try (InputStream in = java.nio.file.Files.newInputStream(writer.path())) {
                blobs.put(decodedKey, in);
            }
        } finally {
            java.nio.file.Files.deleteIfExists(writer.path());
        }
        return BlobTensorInput.open(blobs, decodedKey);
    }

    private static Map<String, int[]> expectedShapes(AdapterLayout layout, LoraMode mode) {
        Map<String, int[]> expected = new HashMap<>();
        List<TensorSpec> specs = mode == LoraMode.FFA ? layout.denseTensors(mode) : layout.globalTensors(layout.rank());
        specs.forEach(s -> expected.put(s.name(), s.shape()));
        return expected;
    }

    private static boolean shapeFits(
            TensorSpec entry, int[] want, AdapterLayout layout, LoraMode mode, Map<String, Integer> ranks) {
        int[] got = entry.shape();
        if (java.util.Arrays.equals(got, want)) {
            if (layout.prompt() == null) {
                ranks.put(module(entry.name()), entry.name().contains(".lora_A.") ? got[0] : got[1]);
            }
            return true;
        }
        if (!AdapterLayout.allowsLowerRank(mode) || got.length != 2) {
            return false;
        }
        boolean isA = entry.name().contains(".lora_A.");
        int rank = isA ? got[0] : got[1];
        boolean fits = isA ? got[1] == want[1] : got[0] == want[0];
        if (!fits || rank < 1 || rank > layout.rank()) {
            return false;
        }
        Integer other = ranks.put(module(entry.name()), rank);
        return other == null || other == rank;
    }

    private static String module(String key) {
        return key.replace(".lora_A.weight", "").replace(".lora_B.weight", "");
    }

    private static String abbreviate(Set<String> names) {
        if (names.isEmpty()) {
            return "none";
        }
        return names.size() <= 3
                ? names.toString()
                : names.stream().limit(3).toList() + " and " + (names.size() - 3) + " more";
    }

    private static AggregatorException invalid(String detail) {
        return new AggregatorException(HttpStatus.UNPROCESSABLE_CONTENT, "invalid-update", detail);
    }

    private void deleteQuietly(String key) {
        try {
            blobs.delete(key);
        } catch (IOException e) {
            // the orphan sweeper removes it later
        }
    }

    /** Records an agent's failure report: its assignment becomes FAILED. */
    public void fail(ClientDirectory.Agent agent, UUID federationId, int roundNumber, FailureReport report) {
        Target target = target(agent, federationId, roundNumber);
        tx.executeWithoutResult(status -> {
            AssignmentStatus from = jdbc.sql("SELECT status FROM assignment WHERE id = ? FOR UPDATE")
                    .param(target.assignmentId())
                    .query((rs, n) -> AssignmentStatus.valueOf(rs.getString(1)))
                    .single();
            if (from == AssignmentStatus.FAILED) {
                return;
            }
            StateMachines.ASSIGNMENT.move(from, AssignmentStatus.FAILED);
            jdbc.sql("UPDATE assignment SET status = 'FAILED', failure_reason = ?, finished_at = ?,"
                            + " version = version + 1 WHERE id = ?")
                    .params(
                            report.reason().name().toLowerCase()
                                    + (report.message() == null ? "" : ": " + report.message()),
                            Timestamp.from(clock.instant()),
                            target.assignmentId())
                    .update();
            jdbc.sql("UPDATE round SET version = version + 1 WHERE id = ?")
                    .param(target.round().id())
                    .update();
        });
    }
}
