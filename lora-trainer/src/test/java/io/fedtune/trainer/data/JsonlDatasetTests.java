package io.fedtune.trainer.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.OptionalInt;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JsonlDatasetTests {

    @TempDir
    Path dir;

    private final DataOptions options = DataOptions.defaults();

    private Path file(String... lines) throws IOException {
        Path file = dir.resolve("data.jsonl");
        Files.writeString(file, String.join("\n", lines), StandardCharsets.UTF_8);
        return file;
    }

    @Test
    void readsPlainTextLinesAsResponsesWithAnEmptyPrompt() throws IOException {
        JsonlDataset data = JsonlDataset.read(file("{\"text\": \"hello world\"}", "{\"text\": \"second\"}"), options);

        assertThat(data.examples()).containsExactly(new TextExample("", "hello world"), new TextExample("", "second"));
        assertThat(data.skipped()).isZero();
    }

    @Test
    void readsAlpacaLinesWithAndWithoutInputThroughTheAlpacaTemplate() throws IOException {
        Path file = file(
                "{\"instruction\": \"Add\", \"input\": \"2 and 3\", \"output\": \"5\"}",
                "{\"instruction\": \"Say hi\", \"output\": \"hi\"}");

        List<TextExample> examples = JsonlDataset.read(file, options.withTemplate(ChatTemplate.ALPACA))
                .examples();

        assertThat(examples.get(0).prompt())
                .contains("paired with an input")
                .endsWith("### Instruction:\nAdd\n\n### Input:\n2 and 3\n\n### Response:\n");
        assertThat(examples.get(0).response()).isEqualTo("5");
        assertThat(examples.get(1).prompt())
                .doesNotContain("### Input:")
                .endsWith("### Instruction:\nSay hi\n\n### Response:\n");
        assertThat(examples.get(1).response()).isEqualTo("hi");
    }

    @Test
    void readsChatLinesThroughChatMLWithTheLastAssistantTurnAsResponse() throws IOException {
        Path file = file("{\"messages\": [{\"role\": \"system\", \"content\": \"Be brief.\"},"
                + " {\"role\": \"user\", \"content\": \"Hi\"}, {\"role\": \"assistant\", \"content\": \"Hello\"},"
                + " {\"role\": \"user\", \"content\": \"Bye\"}, {\"role\": \"assistant\", \"content\": \"Ciao\"}]}");

        TextExample example = JsonlDataset.read(file, options.withTemplate(ChatTemplate.CHATML))
                .examples()
                .get(0);

        assertThat(example.prompt())
                .isEqualTo("<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n"
                        + "<|im_start|>assistant\nHello<|im_end|>\n<|im_start|>user\nBye<|im_end|>\n"
                        + "<|im_start|>assistant\n");
        assertThat(example.response()).isEqualTo("Ciao<|im_end|>");
    }

    @Test
    void rendersLlama2ChatsWithTheSystemPromptInTheFirstInstruction() {
        TextExample example = ChatTemplate.LLAMA2.render(List.of(
                new ChatMessage("system", "Be brief."),
                new ChatMessage("user", "Hi"),
                new ChatMessage("assistant", "Hello"),
                new ChatMessage("user", "Bye"),
                new ChatMessage("assistant", "Ciao")));

        assertThat(example.prompt())
                .isEqualTo("[INST] <<SYS>>\nBe brief.\n<</SYS>>\n\nHi [/INST] Hello </s><s>[INST] Bye [/INST]");
        assertThat(example.response()).isEqualTo(" Ciao");
    }

    @Test
    void rendersAlpacaRecordsAsAOneTurnChatUnderTheOtherTemplates() {
        assertThat(ChatTemplate.NONE.renderInstruction("Add", "2 and 3", "5"))
                .isEqualTo(new TextExample("Add\n\n2 and 3\n", "5"));
        assertThat(ChatTemplate.CHATML.renderInstruction("Say hi", "", "hi"))
                .isEqualTo(
                        new TextExample("<|im_start|>user\nSay hi<|im_end|>\n<|im_start|>assistant\n", "hi<|im_end|>"));
    }

    @Test
    void promptsForOneUserMessageAsTheTrainingPromptWouldEnd() {
        assertThat(ChatTemplate.CHATML.promptFor("Hi"))
                .isEqualTo("<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n");
        assertThat(ChatTemplate.LLAMA2.promptFor("Hi")).isEqualTo("[INST] Hi [/INST]");
        assertThat(ChatTemplate.ALPACA.promptFor("Hi")).endsWith("### Instruction:\nHi\n\n### Response:\n");
        assertThat(ChatTemplate.NONE.promptFor("Hi")).isEqualTo("Hi\n");
    }

    @Test
    void ignoresBlankLinesAndALeadingByteOrderMark() throws IOException {
        JsonlDataset data =
                JsonlDataset.read(file("\uFEFF{\"text\": \"a\"}", "", "   ", "{\"text\": \"b\"}", ""), options);

        assertThat(data.examples()).extracting(TextExample::response).containsExactly("a", "b");
    }

    @Test
    void namesFileAndLineOfALineThatIsNotJson() throws IOException {
        Path file = file("{\"text\": \"a\"}", "", "{\"text\": \"b\"");

        assertThatThrownBy(() -> JsonlDataset.read(file, options))
                .isInstanceOfSatisfying(DataFormatException.class, e -> {
                    assertThat(e.file()).isEqualTo(file);
                    assertThat(e.line()).isEqualTo(3);
                })
                .hasMessageStartingWith(file + ":3: not valid JSON");
    }

    @Test
    void rejectsAnUnknownShapeNamingItsKeys() throws IOException {
        Path file = file("{\"prompt\": \"a\", \"answer\": \"b\"}");

        assertThatThrownBy(() -> JsonlDataset.read(file, options))
                .isInstanceOf(DataFormatException.class)
                .hasMessageContaining(":1: unknown shape with keys [prompt, answer]");
    }

    @Test
    void rejectsLinesWhoseFieldsHaveTheWrongTypeOrAreMissing() throws IOException {
        assertThatThrownBy(() -> JsonlDataset.read(file("{\"text\": 3}"), options))
                .hasMessageContaining(":1: \"text\" must be a string, got number");
        assertThatThrownBy(() -> JsonlDataset.read(file("{\"instruction\": \"x\"}"), options))
                .hasMessageContaining(":1: \"output\" is missing");
        assertThatThrownBy(() -> JsonlDataset.read(file("[1, 2]"), options))
                .hasMessageContaining(":1: expected a JSON object, got array");
        assertThatThrownBy(() -> JsonlDataset.read(file("{\"text\": \"\"}"), options))
                .hasMessageContaining(":1: \"text\" is empty");
    }

    @Test
    void rejectsChatsThatDoNotEndWithTheAssistantOrHaveUnknownRoles() throws IOException {
        assertThatThrownBy(() ->
                        JsonlDataset.read(file("{\"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}]}"), options))
                .hasMessageContaining(":1: the last message must be the assistant's, got 'user'");
        assertThatThrownBy(() ->
                        JsonlDataset.read(file("{\"messages\": [{\"role\": \"bot\", \"content\": \"Hi\"}]}"), options))
                .hasMessageContaining(":1: messages[0].role 'bot' is not system, user or assistant");
        assertThatThrownBy(() -> JsonlDataset.read(file("{\"messages\": []}"), options))
                .hasMessageContaining(":1: \"messages\" must be a non-empty array");
        assertThatThrownBy(() -> JsonlDataset.read(
                        file("{\"messages\": [{\"role\": \"user\"}, {\"role\": \"assistant\", \"content\": \"x\"}]}"),
                        options))
                .hasMessageContaining(":1: \"messages[0].content\" is missing");
    }

    @Test
    void skipsAndCountsMalformedLinesWhenAsked() throws IOException {
        Path file = file("{\"text\": \"a\"}", "not json", "{\"x\": 1}", "{\"text\": \"b\"}");

        JsonlDataset data = JsonlDataset.read(file, options.withSkipMalformed(true));

        assertThat(data.examples()).extracting(TextExample::response).containsExactly("a", "b");
        assertThat(data.skipped()).isEqualTo(2);
        assertThat(data.problems()).hasSize(2);
        assertThat(data.problems().get(0)).startsWith(file + ":2: not valid JSON");
        assertThat(data.problems().get(1)).startsWith(file + ":3: unknown shape");
    }

    @Test
    void skipsALineTooLongToHoldAndReadsOnAfterIt() throws IOException {
        Path file = dir.resolve("long.jsonl");
        try (var out = Files.newOutputStream(file)) {
            out.write("{\"text\": \"before\"}\r\n{\"text\": \"".getBytes(StandardCharsets.UTF_8));
            byte[] filler = new byte[1 << 20];
            java.util.Arrays.fill(filler, (byte) 'x');
            for (int i = 0; i <= JsonlDataset.MAX_LINE_BYTES >> 20; i++) {
                out.write(filler);
            }
            out.write("\"}\n{\"text\": \"after\"}".getBytes(StandardCharsets.UTF_8));
        }

        JsonlDataset data = JsonlDataset.read(file, options.withSkipMalformed(true));

        assertThat(data.examples()).extracting(TextExample::response).containsExactly("before", "after");
        assertThat(data.problems()).containsExactly(file + ":2: is longer than 64 MiB");
        assertThatThrownBy(() -> JsonlDataset.read(file, options)).hasMessage(file + ":2: is longer than 64 MiB");
    }

    @Test
    void failsWhenEveryLineWasSkipped() throws IOException {
        Path file = file("nope", "{\"x\": 1}");

        assertThatThrownBy(() -> JsonlDataset.read(file, options.withSkipMalformed(true)))
                .isInstanceOf(DataFormatException.class)
                .hasMessage(file + ": holds no valid examples (2 malformed lines skipped)");
    }

    @Test
    void rejectsAnEmptyFileAndOneWithOnlyBlankLines() throws IOException {
        Path empty = dir.resolve("empty.jsonl");
        Files.writeString(empty, "");
        Path blank = dir.resolve("blank.jsonl");
        Files.writeString(blank, "\n  \n\n");

        assertThatThrownBy(() -> JsonlDataset.read(empty, options)).hasMessage(empty + ": holds no examples");
        assertThatThrownBy(() -> JsonlDataset.read(blank, options)).hasMessage(blank + ": holds no examples");
    }

    @Test
    void rejectsAMissingFileAndADirectory() {
        Path missing = dir.resolve("missing.jsonl");

        assertThatThrownBy(() -> JsonlDataset.read(missing, options))
                .isInstanceOf(DataFormatException.class)
                .hasMessage(missing + ": no such file");
        assertThatThrownBy(() -> JsonlDataset.read(dir, options))
                .hasMessage(dir + ": is a directory, not a JSONL file");
    }

    @Test
    void namesTheLineThatIsNotUtf8() throws IOException {
        Path file = dir.resolve("latin1.jsonl");
        byte[] bad = "{\"text\": \"caf\u00e9\"}".getBytes(StandardCharsets.ISO_8859_1);
        byte[] good = "{\"text\": \"ok\"}\n".getBytes(StandardCharsets.UTF_8);
        byte[] all = new byte[good.length + bad.length];
        System.arraycopy(good, 0, all, 0, good.length);
        System.arraycopy(bad, 0, all, good.length, bad.length);
        Files.write(file, all);

        assertThatThrownBy(() -> JsonlDataset.read(file, options))
                .isInstanceOf(DataFormatException.class)
                .hasMessage(file + ":2: is not valid UTF-8");
    }

    @Test
    void splitsTheSameWayForTheSameSeedIntoDisjointParts() {
        List<Integer> items = IntStream.range(0, 100).boxed().toList();

        Split<Integer> first = JsonlDataset.split(items, 0.2, 7);
        Split<Integer> again = JsonlDataset.split(items, 0.2, 7);
        Split<Integer> other = JsonlDataset.split(items, 0.2, 8);

        assertThat(first.holdout()).hasSize(20).isEqualTo(again.holdout()).isNotEqualTo(other.holdout());
        assertThat(first.train()).hasSize(80).doesNotContainAnyElementsOf(first.holdout());
        List<Integer> union = new ArrayList<>(first.train());
        union.addAll(first.holdout());
        assertThat(new HashSet<>(union)).hasSize(100);
        assertThat(first.train()).isSorted();
    }

    @Test
    void keepsAtLeastOneExampleOnEachSideOfASplit() {
        assertThat(JsonlDataset.split(List.of("a", "b"), 0.01, 1).holdout()).hasSize(1);
        assertThat(JsonlDataset.split(List.of("a", "b"), 0.99, 1).train()).hasSize(1);
        assertThat(JsonlDataset.split(List.of("a"), 0.5, 1).train()).containsExactly("a");
        assertThat(JsonlDataset.split(List.of("a", "b", "c"), 0.0, 1).holdout()).isEmpty();
    }

    @Test
    void tokenizesWithBosAndEosAndCountsThePromptAsBosPlusPrompt() {
        List<TokenizedExample> tokens =
                JsonlDataset.tokenize(List.of(new TextExample("ab", "cd")), new CharEncoder(1, 2), 64);

        assertThat(tokens.get(0).tokens()).containsExactly(1, 'a', 'b', 'c', 'd', 2);
        assertThat(tokens.get(0).promptLength()).isEqualTo(3);
    }

    @Test
    void addsNoBosWhenItIsTheEndToken() {
        List<TokenizedExample> tokens =
                JsonlDataset.tokenize(List.of(new TextExample("", "cd")), new CharEncoder(2, 2), 64);

        assertThat(tokens.get(0).tokens()).containsExactly('c', 'd', 2);
        assertThat(tokens.get(0).promptLength()).isZero();
    }

    @Test
    void truncatesTheResponseTailFirst() {
        TokenizedExample example = JsonlDataset.tokenize(
                        List.of(new TextExample("ab", "cdefghij")), new CharEncoder(1, 2), 6)
                .get(0);

        assertThat(example.tokens()).containsExactly(1, 'a', 'b', 'c', 'd', 'e');
        assertThat(example.promptLength()).isEqualTo(3);
    }

    @Test
    void cutsTheBeginningOfAPromptThatWouldLeaveTooLittleRoomForTheResponse() {
        TokenizedExample example = JsonlDataset.tokenize(
                        List.of(new TextExample("abcdefghij", "xyz")), new CharEncoder(1, 2), 8)
                .get(0);

        assertThat(example.tokens()).containsExactly(1, 'h', 'i', 'j', 'x', 'y', 'z', 2);
        assertThat(example.promptLength()).isEqualTo(4);
        assertThat(example.tokens()).hasSize(8);
    }

    @Test
    void leavesOutExamplesWithNothingToLearn() {
        TokenEncoder noSpecialTokens = new TokenEncoder() {
            @Override
            public int[] encode(String text) {
                return text.chars().toArray();
            }

            @Override
            public OptionalInt bosId() {
                return OptionalInt.empty();
            }

            @Override
            public OptionalInt eosId() {
                return OptionalInt.empty();
            }
        };

        List<TokenizedExample> tokens = JsonlDataset.tokenize(
                List.of(new TextExample("", "a"), new TextExample("", "ab"), new TextExample("q", "")),
                noSpecialTokens,
                16);

        assertThat(tokens).hasSize(1);
        assertThat(tokens.get(0).tokens()).containsExactly('a', 'b');
    }

    @Test
    void rejectsAMaximumLengthBelowTwo() {
        assertThatThrownBy(() -> JsonlDataset.tokenize(List.of(), new CharEncoder(1, 2), 1))
                .isInstanceOf(IllegalArgumentException.class);
    }

    /** One id per character, so expectations read as text. */
    private record CharEncoder(int bos, int eos) implements TokenEncoder {
        @Override
        public int[] encode(String text) {
            return text.chars().toArray();
        }

        @Override
        public OptionalInt bosId() {
            return OptionalInt.of(bos);
        }

        @Override
        public OptionalInt eosId() {
            return OptionalInt.of(eos);
        }
    }
}
