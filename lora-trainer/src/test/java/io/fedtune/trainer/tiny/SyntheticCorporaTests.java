package io.fedtune.trainer.tiny;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fedtune.trainer.tiny.SyntheticCorpora.ClientCorpus;
import io.fedtune.trainer.tiny.SyntheticCorpora.Domain;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SyntheticCorporaTests {

    private static final Pattern TEXT_LINE = Pattern.compile("\\{\"text\":\"((?:[^\"\\\\]|\\\\.)*)\"}");

    @Test
    void writesOneJsonLinesFilePerClientWithTheRequestedNumberOfTextObjects(@TempDir Path dir) throws Exception {
        List<ClientCorpus> corpora = SyntheticCorpora.write(dir, 3, 50, 7);

        assertThat(corpora)
                .extracting(ClientCorpus::domain)
                .containsExactly(Domain.LEDGER, Domain.GARDEN, Domain.SIGNALS);
        for (ClientCorpus corpus : corpora) {
            assertThat(corpus.file()).isEqualTo(dir.resolve(corpus.name() + ".jsonl"));
            List<String> lines = Files.readAllLines(corpus.file(), StandardCharsets.UTF_8);
            assertThat(lines).hasSize(50);
            assertThat(lines).allSatisfy(line -> assertThat(line).matches(TEXT_LINE));
        }
        try (var files = Files.list(dir)) {
            assertThat(files).hasSize(3); // no temporary files left behind
        }
    }

    @Test
    void clientsShareNoCharacterButTheSpaceSoEachDomainIsItsOwn(@TempDir Path dir) throws Exception {
        List<ClientCorpus> corpora = SyntheticCorpora.write(dir, Domain.values().length, 200, 11);

        for (int i = 0; i < corpora.size(); i++) {
            for (int j = i + 1; j < corpora.size(); j++) {
                Set<Integer> shared = characters(corpora.get(i).file());
                shared.retainAll(characters(corpora.get(j).file()));
                shared.remove((int) ' ');
                assertThat(shared)
                        .as("%s and %s", corpora.get(i).name(), corpora.get(j).name())
                        .isEmpty();
            }
        }
    }

    @Test
    void theSameSeedGivesTheSameBytesAndAnotherSeedOtherBytes(@TempDir Path dir) throws Exception {
        Path first = SyntheticCorpora.write(dir.resolve("a"), 2, 40, 3).get(1).file();
        Path again = SyntheticCorpora.write(dir.resolve("b"), 2, 40, 3).get(1).file();
        Path other = SyntheticCorpora.write(dir.resolve("c"), 2, 40, 4).get(1).file();

        assertThat(Files.readAllBytes(again)).isEqualTo(Files.readAllBytes(first));
        assertThat(Files.readAllBytes(other)).isNotEqualTo(Files.readAllBytes(first));
    }

    @Test
    void moreClientsThanDomainsCycleThroughTheDomainsWithOtherExamples(@TempDir Path dir) throws Exception {
        int domains = Domain.values().length;
        List<ClientCorpus> corpora = SyntheticCorpora.write(dir, domains + 1, 30, 5);

        assertThat(corpora.get(domains).domain()).isEqualTo(corpora.get(0).domain());
        assertThat(corpora.get(domains).name()).isNotEqualTo(corpora.get(0).name());
        assertThat(Files.readAllBytes(corpora.get(domains).file()))
                .isNotEqualTo(Files.readAllBytes(corpora.get(0).file()));
    }

    @Test
    void escapesQuotesBackslashesAndControlCharacters() {
        assertThat(SyntheticCorpora.jsonLine("a\"b\\c\nd\u0001")).isEqualTo("{\"text\":\"a\\\"b\\\\c\\nd\\u0001\"}");
    }

    @Test
    void refusesZeroClientsOrExamples(@TempDir Path dir) {
        assertThatThrownBy(() -> SyntheticCorpora.write(dir, 0, 10, 1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("clients");
        assertThatThrownBy(() -> SyntheticCorpora.write(dir, 2, 0, 1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("examplesPerClient");
    }

    private static Set<Integer> characters(Path file) throws Exception {
        Set<Integer> characters = new HashSet<>();
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            Matcher matcher = TEXT_LINE.matcher(line);
            assertThat(matcher.matches()).as(line).isTrue();
            matcher.group(1).codePoints().forEach(characters::add);
        }
        return characters;
    }
}
