package io.fedtune.agent.home;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AgentHomeTests {

    @TempDir
    Path dir;

    private static Credentials credentials() {
        return new Credentials(
                URI.create("http://localhost:8080"),
                UUID.randomUUID(),
                "very-secret",
                UUID.randomUUID(),
                "site-a",
                Instant.parse("2030-01-01T00:00:00Z"));
    }

    @Test
    void credentialsAreStoredOwnerOnlyAndReadBack() throws Exception {
        AgentHome home = AgentHome.open(dir.resolve("agent"));
        Credentials credentials = credentials();
        home.saveCredentials(credentials);

        Path file = home.root().resolve("credentials.json");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file)))
                .isEqualTo("rw-------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(home.root())))
                .isEqualTo("rwx------");
        assertThat(home.credentials()).isEqualTo(credentials);
        assertThat(credentials.toString()).doesNotContain("very-secret");
        try (Stream<Path> files = Files.list(home.root())) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactly("credentials.json");
        }
    }

    @Test
    void credentialsReadableByOthersAreRefusedWithTheFix() throws Exception {
        AgentHome home = AgentHome.open(dir.resolve("agent"));
        home.saveCredentials(credentials());
        Path file = home.root().resolve("credentials.json");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));

        assertThatThrownBy(home::credentials)
                .isInstanceOf(AgentHomeException.class)
                .hasMessageContaining("chmod 600 " + file);
    }

    @Test
    void aHomeWithoutCredentialsSaysHowToEnroll() {
        AgentHome home = AgentHome.open(dir.resolve("agent"));
        assertThatThrownBy(home::credentials).hasMessageContaining("fedtune-agent enroll");
    }

    @Test
    void statusKeepsTheLastRoundsOnly() {
        AgentHome home = AgentHome.open(dir.resolve("agent"));
        UUID federation = UUID.randomUUID();
        for (int round = 1; round <= AgentStatus.KEPT + 5; round++) {
            home.saveStatus(home.status()
                    .withRound(
                            new AgentStatus.RoundRecord(
                                    federation, round, "uploaded", 1.0, Double.NaN, 3, 10, 20, "ok", Instant.now()),
                            Instant.now()));
        }
        assertThat(home.status().lastRounds()).hasSize(AgentStatus.KEPT);
        assertThat(home.status().lastRounds().get(AgentStatus.KEPT - 1).round()).isEqualTo(AgentStatus.KEPT + 5);
        assertThat(home.status().lastRounds().get(0).evalLoss()).isNaN();
    }
}
