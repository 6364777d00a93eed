package io.fedtune.agent.home;

import io.fedtune.protocol.safetensors.FloatTensor;
import io.fedtune.protocol.safetensors.SafetensorsFile;
import io.fedtune.protocol.safetensors.SafetensorsWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.stream.Stream;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.json.JsonMapper;

/**
 * The agent's directory: its credentials, its status, one working directory per task (downloaded adapter,
 * checkpoints, the encoded update) and the top-k error-feedback residual kept across rounds. Everything is
 * owner-only (directories 0700, files 0600) and every file is written to a temporary file first and moved into
 * place, so a crash never leaves half a file.
 *
 * <pre>
 * home/
 *   credentials.json        client id and secret (0600)
 *   status.json             the current task and the last rounds
 *   tasks/&lt;fed&gt;-r&lt;round&gt;-a&lt;attempt&gt;/  adapter.safetensors, checkpoint/, update.safetensors, update.json
 *   residual/&lt;fed&gt;.safetensors  what top-k left out, added to the next round's delta
 * </pre>
 */
public final class AgentHome {

    /** The JSON mapper the agent uses for its own files and on the wire. */
    public static final JsonMapper JSON = JsonMapper.builder()
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .build();

    private static final Set<PosixFilePermission> DIRECTORY = PosixFilePermissions.fromString("rwx------");
    private static final Set<PosixFilePermission> FILE = PosixFilePermissions.fromString("rw-------");
    private static final boolean POSIX =
            FileSystems.getDefault().supportedFileAttributeViews().contains("posix");

    private final Path root;

    private AgentHome(Path root) {
        this.root = root;
    }

    /** The home at {@code root}, created owner-only when missing. */
    public static AgentHome open(Path root) {
        AgentHome home = new AgentHome(root.toAbsolutePath().normalize());
        home.directory(home.root);
        return home;
    }

    /** The default home: {@code $FEDTUNE_AGENT_HOME}, else {@code ~/.fedtune-agent}. */
    public static Path defaultLocation() {
        String env = System.getenv("FEDTUNE_AGENT_HOME");
        return env != null && !env.isBlank()
                ? Path.of(env)
                : Path.of(System.getProperty("user.home"), ".fedtune-agent");
    }

    public Path root() {
        return root;
    }

    /** Whether this agent has enrolled. */
    public boolean isEnrolled() {
        return Files.isRegularFile(root.resolve("credentials.json"));
    }

    /** Stores the credentials, owner-only. */
    public void saveCredentials(Credentials credentials) {
        writeJson(root.resolve("credentials.json"), credentials);
    }

    /**
     * The stored credentials.
     *
     * @throws AgentHomeException when the agent has not enrolled, or the file is unreadable or too open
     */
    public Credentials credentials() {
        Path file = root.resolve("credentials.json");
        if (!Files.isRegularFile(file)) {
            throw new AgentHomeException("No credentials in " + root
                    + ": enroll first with `fedtune-agent enroll --server URL --token TOKEN --home " + root + "`");
        }
        if (POSIX) {
            try {
                Set<PosixFilePermission> permissions = Files.getPosixFilePermissions(file);
                if (permissions.stream().anyMatch(p -> !FILE.contains(p))) {
                    throw new AgentHomeException(file + " is readable by others ("
                            + PosixFilePermissions.toString(permissions) + "); run `chmod 600 " + file + "`");
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        try {
            return JSON.readValue(Files.readString(file), Credentials.class);
        } catch (IOException | RuntimeException e) {
            throw new AgentHomeException("Cannot read " + file + ": " + e.getMessage());
        }
    }

    /** The agent's status file, or an empty status. */
    public AgentStatus status() {
        Path file = root.resolve("status.json");
        if (!Files.isRegularFile(file)) {
            return AgentStatus.empty();
        }
        try {
            return JSON.readValue(Files.readString(file), AgentStatus.class);
        } catch (IOException | RuntimeException e) {
            return AgentStatus.empty();
        }
    }

    /** Replaces the status file. */
    public synchronized void saveStatus(AgentStatus status) {
        writeJson(root.resolve("status.json"), status);
    }

    /** The working directory of one task attempt, created owner-only. */
    public Path taskDirectory(UUID federationId, int round, int attempt) {
        return directory(root.resolve("tasks").resolve(federationId + "-r" + round + "-a" + attempt));
    }

    /** Removes the working directories of every task except {@code keep} (may be null). */
    public void pruneTasks(Path keep) {
        Path tasks = root.resolve("tasks");
        if (!Files.isDirectory(tasks)) {
            return;
        }
        try (Stream<Path> list = Files.list(tasks)) {
            list.filter(p -> keep == null || !p.equals(keep)).forEach(AgentHome::deleteRecursively);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The top-k residual kept for a federation, if any. */
    public Optional<Map<String, FloatTensor>> residual(UUID federationId) {
        Path file = root.resolve("residual").resolve(federationId + ".safetensors");
        if (!Files.isRegularFile(file)) {
            return Optional.empty();
        }
        return Optional.of(readTensors(file));
    }

    /** Makes a staged residual file the one kept for a federation (an atomic move). */
    public void adoptResidual(UUID federationId, Path staged) {
        Path file = directory(root.resolve("residual")).resolve(federationId + ".safetensors");
        try {
            move(staged, file);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot keep the residual " + file, e);
        }
    }

    /** Replaces the residual kept for a federation. */
    public void saveResidual(UUID federationId, Map<String, FloatTensor> residual) {
        Path file = directory(root.resolve("residual")).resolve(federationId + ".safetensors");
        writeTensors(file, residual);
    }

    /** Reads every tensor of a safetensors file as F32. */
    public static Map<String, FloatTensor> readTensors(Path file) {
        try (SafetensorsFile safetensors = SafetensorsFile.open(file)) {
            Map<String, FloatTensor> tensors = new TreeMap<>();
            for (var info : safetensors.tensors()) {
                tensors.put(info.name(), safetensors.readFloatTensor(info.name()));
            }
            return tensors;
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read " + file, e);
        }
    }

    /** Writes F32 tensors atomically, owner-only. */
    public void writeTensors(Path file, Map<String, FloatTensor> tensors) {
        SafetensorsWriter writer = new SafetensorsWriter();
        new TreeMap<>(tensors).forEach(writer::add);
        try {
            Path temp = temporary(file);
            try {
                writer.writeTo(temp);
                restrict(temp);
                move(temp, file);
            } finally {
                Files.deleteIfExists(temp);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot write " + file, e);
        }
    }

    /** Writes a value as JSON atomically, owner-only. */
    public void writeJson(Path file, Object value) {
        writeAtomically(file, JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(value));
    }

    /** Writes bytes to {@code file} through a temporary file and an atomic move; the file is owner-only. */
    public void writeAtomically(Path file, byte[] bytes) {
        try {
            directory(file.getParent());
            Path temp = temporary(file);
            try {
                try (java.nio.channels.FileChannel channel =
                        java.nio.channels.FileChannel.open(temp, java.nio.file.StandardOpenOption.WRITE)) {
                    channel.write(java.nio.ByteBuffer.wrap(bytes));
                    channel.force(true); // on disk before the rename: a power loss leaves the old file or the new one
                }
                move(temp, file);
            } finally {
                Files.deleteIfExists(temp);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot write " + file, e);
        }
    }

    /** Reads a JSON file if it is there. */
    public static <T> Optional<T> readJson(Path file, Class<T> type) {
        if (!Files.isRegularFile(file)) {
            return Optional.empty();
        }
        try {
            return Optional.of(JSON.readValue(Files.readString(file, StandardCharsets.UTF_8), type));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /** A fresh owner-only temporary file next to {@code file}. */
    public Path temporary(Path file) throws IOException {
        directory(file.getParent());
        Path temp = POSIX
                ? Files.createTempFile(
                        file.getParent(), "." + file.getFileName(), ".tmp", PosixFilePermissions.asFileAttribute(FILE))
                : Files.createTempFile(file.getParent(), "." + file.getFileName(), ".tmp");
        return temp;
    }

    /** Moves a finished temporary file into place, atomically where the file system can. */
    public static void move(Path temp, Path target) throws IOException {
        try {
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /** Makes a file owner-only. */
    public static void restrict(Path file) throws IOException {
        if (POSIX) {
            Files.setPosixFilePermissions(file, FILE);
        }
    }

    /** Creates a directory (and parents) owner-only, or tightens an existing one. */
    public Path directory(Path dir) {
        try {
            if (!Files.isDirectory(dir)) {
                Files.createDirectories(dir);
            }
            if (POSIX && dir.startsWith(root)) {
                Files.setPosixFilePermissions(dir, DIRECTORY);
            }
            return dir;
        } catch (IOException e) {
            throw new AgentHomeException("Cannot create the agent directory " + dir + ": " + e.getMessage());
        }
    }

    static void deleteRecursively(Path path) {
        try (Stream<Path> walk = Files.walk(path)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException ignored) {
                    // best effort: a leftover task directory is pruned next time
                }
            });
        } catch (IOException ignored) {
            // nothing to prune
        }
    }

    /** Owner-only permissions of a path as rwx text, for {@code doctor} and tests; empty off POSIX. */
    public static String permissions(Path path) {
        try {
            return POSIX ? PosixFilePermissions.toString(Files.getPosixFilePermissions(path)) : "";
        } catch (IOException e) {
            return "?";
        }
    }

    static Map<String, Object> describe(Credentials c) {
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("server", c.server());
        map.put("clientId", c.clientId());
        map.put("federationId", c.federationId());
        map.put("name", c.name());
        return map;
    }
}
