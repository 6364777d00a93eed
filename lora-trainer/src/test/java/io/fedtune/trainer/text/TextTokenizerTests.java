package io.fedtune.trainer.text;

import static org.assertj.core.api.Assertions.assertThat;

import io.fedtune.trainer.tiny.TinyModelSpec;
import io.fedtune.trainer.tiny.TinyModels;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TextTokenizerTests {
    @TempDir
    Path tmp;

    @Test
    void theGeneratedByteLevelBpeRoundTripsTextAndMergesCommonWords() {
        Path dir = TinyModels.write(tmp.resolve("m"), TinyModelSpec.llama());
        try (TextTokenizer tokenizer = TextTokenizer.load(dir).orElseThrow()) {
            String text = "The capital of France is Paris. Ünïcödé 42!";
            int[] ids = tokenizer.encode(text);
            assertThat(tokenizer.decode(ids)).isEqualTo(text);
            assertThat(ids.length).isLessThan(text.getBytes(java.nio.charset.StandardCharsets.UTF_8).length);
            assertThat(tokenizer.bosId()).hasValue(256);
            assertThat(tokenizer.eosId()).hasValue(257);
            assertThat(tokenizer.vocabSize()).isLessThanOrEqualTo(384);
            for (int id : ids) {
                assertThat(id).isBetween(0, tokenizer.vocabSize() - 1);
            }
        }
    }

    @Test
    void aDirectoryWithoutTokenizerHasNone() {
        assertThat(TextTokenizer.load(tmp)).isEmpty();
    }
}
