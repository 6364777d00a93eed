package io.fedtune.deploy;

import static org.assertj.core.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** The repository these tests check, and the external tools (compose, kustomize) they run on it. */
final class Repository {

    private Repository() {}

    /** The repository root: the nearest directory upwards that holds the Maven wrapper and docker-compose.yml. */
    static Path root() {
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null) {
            if (Files.exists(dir.resolve("mvnw")) && Files.exists(dir.resolve("docker-compose.yml"))) {
                return dir;
            }
            dir = dir.getParent();
        }
        throw new IllegalStateException(
                "No repository root above " + Path.of("").toAbsolutePath());
    }

    /** Whether a program is on the PATH. */
    static boolean onPath(String program) {
        String path = System.getenv().getOrDefault("PATH", "");
        for (String dir : path.split(File.pathSeparator)) {
            if (Files.isExecutable(Path.of(dir, program))) {
                return true;
            }
        }
        return false;
    }

    /** What a command printed on standard output; stops the test with its error output when it fails. */
    static String run(List<String> command) {
        return run(command, true);
    }

    /** Runs a command in the repository root; returns stdout, or fails with stderr when {@code mustSucceed}. */
    static String run(List<String> command, boolean mustSucceed) {
        try {
            Path out = Files.createTempFile("fedtune-deploy", ".out");
            Path err = Files.createTempFile("fedtune-deploy", ".err");
            try {
                Process process = new ProcessBuilder(command)
                        .directory(root().toFile())
                        .redirectOutput(out.toFile())
                        .redirectError(err.toFile())
                        .start();
                if (!process.waitFor(120, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                    fail(String.join(" ", command) + " did not finish within 120 s");
                }
                String stdout = Files.readString(out, StandardCharsets.UTF_8);
                if (mustSucceed && process.exitValue() != 0) {
                    fail(String.join(" ", command) + " failed with exit code " + process.exitValue() + ":\n"
                            + Files.readString(err, StandardCharsets.UTF_8));
                }
                return process.exitValue() == 0 ? stdout : null;
            } finally {
                Files.deleteIfExists(out);
                Files.deleteIfExists(err);
            }
        } catch (IOException e) {
            throw new IllegalStateException("Could not run " + command, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** The command that renders a kustomization: {@code kustomize build} or {@code kubectl kustomize}. */
    static List<String> kustomize(String directory) {
        if (onPath("kustomize")) {
            return List.of("kustomize", "build", directory);
        }
        if (onPath("kubectl")) {
            return List.of("kubectl", "kustomize", directory);
        }
        fail("Rendering k8s/ needs kustomize or kubectl (1.21 or newer) on the PATH; install one of them.");
        return List.of();
    }

    /** The command that validates a compose file: docker-compose (v1.27+) or the docker compose plugin (v2). */
    static List<String> compose(String... arguments) {
        List<String> command = new ArrayList<>();
        if (onPath("docker-compose")) {
            command.add("docker-compose");
        } else if (onPath("docker") && run(List.of("docker", "compose", "version"), false) != null) {
            command.addAll(List.of("docker", "compose"));
        } else {
            fail("Checking docker-compose.yml needs a compose parser: `apt-get install docker-compose` (Debian, no"
                    + " Docker engine needed) or the Docker Compose v2 plugin. .ci/run installs the former.");
        }
        command.addAll(List.of(arguments));
        return command;
    }
}
