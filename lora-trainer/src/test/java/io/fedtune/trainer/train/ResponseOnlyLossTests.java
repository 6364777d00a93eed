package io.fedtune.trainer.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.pytorch.jni.JniUtils;
import io.fedtune.trainer.data.ChatTemplate;
import io.fedtune.trainer.data.DataOptions;
import io.fedtune.trainer.data.JsonlDataset;
import io.fedtune.trainer.data.TextExample;
import io.fedtune.trainer.data.TokenizedExample;
import io.fedtune.trainer.model.LoadOptions;
import io.fedtune.trainer.model.PretrainedModel;
import io.fedtune.trainer.testing.ReferenceNll;
import io.fedtune.trainer.text.TextTokenizer;
import io.fedtune.trainer.tiny.TinyModelSpec;
import io.fedtune.trainer.tiny.TinyModels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The training loss counts the prediction of response tokens only: the prompt is context, never a target. */
class ResponseOnlyLossTests {
    @TempDir
    static Path tmp;

    static PretrainedModel model;
    static TextTokenizer tokenizer;

    @BeforeAll
    static void load() {
        model = PretrainedModel.load(
                TinyModels.write(tmp.resolve("llama"), TinyModelSpec.llama()), LoadOptions.defaults());
        tokenizer = model.tokenizer().orElseThrow();
    }

    @AfterAll
    static void close() {
        model.close();
    }

    @Test
    void anAlpacaAndAChatRecordAreScoredOnExactlyTheirResponseTokens() throws Exception {
        Path file = tmp.resolve("mixed.jsonl");
        Files.writeString(file, """
                {"instruction": "Name a colour.", "input": "", "output": "Blue."}
                {"messages": [{"role": "user", "content": "Capital of France?"}, {"role": "assistant", "content": "Paris."}]}
                """);
        List<TextExample> texts = JsonlDataset.read(file, DataOptions.defaults().withTemplate(ChatTemplate.ALPACA))
                .examples();
        List<TokenizedExample> examples = JsonlDataset.tokenize(texts, tokenizer, 128);

        CausalLmBatch batch = CausalLmBatch.of(examples);

        int length = batch.length();
        int eos = tokenizer.eosId().orElseThrow();
        long[] expectedTargets = new long[0];
        long[] expectedRows = new long[0];
        for (int i = 0; i < examples.size(); i++) {
            TokenizedExample e = examples.get(i);
            int[] response = Arrays.copyOfRange(e.tokens(), e.promptLength(), e.tokens().length);
            assertThat(tokenizer.decode(Arrays.copyOf(response, response.length - 1)))
                    .isEqualTo(texts.get(i).response());
            assertThat(response[response.length - 1]).isEqualTo(eos);
            assertThat(tokenizer.decode(Arrays.copyOf(e.tokens(), e.promptLength())))
                    .endsWith("### Response:\n");
            int row = i;
            expectedTargets = LongStream.concat(
                            LongStream.of(expectedTargets),
                            IntStream.of(response).asLongStream())
                    .toArray();
            // the prediction of token p is made at position p - 1
            expectedRows = LongStream.concat(
                            LongStream.of(expectedRows),
                            IntStream.range(e.promptLength() - 1, e.tokens().length - 1)
                                    .mapToLong(p -> (long) row * length + p))
                    .toArray();
        }
        assertThat(batch.targets()).containsExactly(expectedTargets);
        assertThat(batch.rows()).containsExactly(expectedRows);
        assertThat(batch.scoredCount())
                .isEqualTo(examples.stream()
                        .mapToInt(TokenizedExample::targetCount)
                        .sum());
    }

    @Test
    void theLossSumsTheResponseTokensNegativeLogLikelihoodsAndNoPromptOrPaddingPosition() {
        int[] tokens = tokenizer.encode("Question: what stays local? Answer: the data.");
        int promptLength = tokens.length - 4;
        double[] nll = ReferenceNll.perToken(model, tokens);
        double responseOnly = Arrays.stream(nll, promptLength, nll.length).sum();
        double promptPart = Arrays.stream(nll, 1, promptLength).sum();
        int[] shorter = tokenizer.encode("Question: sky? Answer: blue.");
        double shorterResponse = Arrays.stream(
                        ReferenceNll.perToken(model, shorter), shorter.length - 2, shorter.length)
                .sum();

        double loss = nllSum(List.of(new TokenizedExample(tokens, promptLength)));
        double withOnePromptTokenMore = nllSum(List.of(new TokenizedExample(tokens, promptLength + 1)));
        double everyToken = nllSum(List.of(new TokenizedExample(tokens, 0)));
        double paddedBatch = nllSum(
                List.of(new TokenizedExample(tokens, promptLength), new TokenizedExample(shorter, shorter.length - 2)));

        assertThat(promptPart).isGreaterThan(1.0);
        assertThat(loss).isCloseTo(responseOnly, within(1e-3));
        // moving one token from the response to the prompt removes exactly that token's term
        assertThat(loss - withOnePromptTokenMore).isCloseTo(nll[promptLength], within(1e-3));
        assertThat(everyToken).isCloseTo(responseOnly + promptPart, within(1e-3));
        // the shorter example is right-padded; its padding positions add nothing
        assertThat(paddedBatch).isCloseTo(responseOnly + shorterResponse, within(1e-3));
    }

    private static double nllSum(List<TokenizedExample> examples) {
        boolean gradMode = JniUtils.isGradMode();
        JniUtils.setGradMode(false);
        try (NDScope scope = new NDScope();
                NDManager scratch = model.manager().newSubManager()) {
            return CausalLmBatch.of(examples)
                    .nllSum(scratch, model, null, false)
                    .getFloat();
        } finally {
            JniUtils.setGradMode(gradMode);
        }
    }
}
