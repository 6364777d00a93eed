package io.fedtune.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The images' recipes, read as text (no Docker engine builds them here): multi-stage, the project's own wrapper
 * building the right module, a JRE to run, a user without privileges, container-aware JVM flags in exec form.
 */
class DockerfilesTests {

    static final Map<String, String> MODULE_OF = Map.of(
            "gateway", "api-gateway",
            "aggregator", "aggregator-service",
            "registry", "model-registry",
            "agent", "client-agent");

    @Test
    void everyServiceAndTheAgentHaveAMultiStageNonRootImage() throws IOException {
        for (Map.Entry<String, String> image : MODULE_OF.entrySet()) {
            Path file = Repository.root().resolve("deploy/docker/" + image.getKey() + ".Dockerfile");
            List<String> lines = instructions(file);
            String where = file.toString();

            List<String> froms =
                    lines.stream().filter(l -> l.startsWith("FROM ")).toList();
            assertThat(froms).as(where).hasSize(2);
            assertThat(froms.get(0)).as(where).matches("FROM eclipse-temurin:\\d+-jdk\\S* AS build");
            assertThat(froms.get(1)).as(where).matches("FROM eclipse-temurin:\\d+-jre\\S*");
            assertThat(lines)
                    .as(where)
                    .anyMatch(l -> l.startsWith("RUN ")
                            && l.contains("./mvnw")
                            && l.contains("-pl " + image.getValue() + " -am"));
            assertThat(Repository.root().resolve(image.getValue()).resolve("pom.xml"))
                    .exists();

            List<String> runStage = lines.subList(lines.indexOf(froms.get(1)), lines.size());
            String user = runStage.stream()
                    .filter(l -> l.startsWith("USER "))
                    .reduce((first, second) -> second)
                    .orElseThrow(() -> new AssertionError(where + " runs as root"));
            Matcher uid = Pattern.compile("USER (\\d+)(:\\d+)?").matcher(user);
            assertThat(uid.matches())
                    .as(where + ": numeric USER, so runAsNonRoot can verify it")
                    .isTrue();
            assertThat(Integer.parseInt(uid.group(1))).as(where).isPositive();

            String entrypoint = runStage.stream()
                    .filter(l -> l.startsWith("ENTRYPOINT "))
                    .findFirst()
                    .orElseThrow();
            assertThat(entrypoint).as(where + ": exec form").matches("ENTRYPOINT \\[\".*\"\\]");
            assertThat(entrypoint).as(where).contains("-XX:MaxRAMPercentage=").contains("-XX:+ExitOnOutOfMemoryError");
            assertThat(lines).as(where).noneMatch(l -> l.contains(":latest"));
        }
    }

    @Test
    void theBuildContextLeavesBuildOutputAndHistoryOut() throws IOException {
        List<String> ignored = Files.readAllLines(Repository.root().resolve(".dockerignore"));
        assertThat(ignored).contains(".git", "**/target");
    }

    /** Instructions with continuation lines joined and comments dropped. */
    static List<String> instructions(Path file) throws IOException {
        List<String> result = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        for (String line : Files.readAllLines(file)) {
            String trimmed = line.strip();
            if (trimmed.startsWith("#") || (trimmed.isEmpty() && current.isEmpty())) {
                continue;
            }
            if (trimmed.endsWith("\\")) {
                current.append(trimmed, 0, trimmed.length() - 1).append(' ');
                continue;
            }
            current.append(trimmed);
            result.add(current.toString().replaceAll("\\s+", " ").strip());
            current.setLength(0);
        }
        return result;
    }
}
