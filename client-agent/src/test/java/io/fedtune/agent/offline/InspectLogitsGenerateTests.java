package io.fedtune.agent.offline;

import static org.assertj.core.api.Assertions.assertThat;

import io.fedtune.trainer.io.Npy;
import io.fedtune.trainer.model.LoadOptions;
import io.fedtune.trainer.model.PretrainedModel;
import io.fedtune.trainer.peft.PeftConfig;
import io.fedtune.trainer.peft.PeftState;
import io.fedtune.trainer.tiny.TinyModelSpec;
import io.fedtune.trainer.tiny.TinyModels;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InspectLogitsGenerateTests {

    @TempDir
    static Path shared;

    @TempDir
    Path dir;

    static Path llama;
    static Path gpt2;

    @BeforeAll
    static void writeModels() {
        llama = TinyModels.write(shared.resolve("llama"), TinyModelSpec.llama());
        gpt2 = TinyModels.write(shared.resolve("gpt2"), TinyModelSpec.gpt2());
    }

    @Test
    void inspectShowsArchitectureSizeDtypeAndLoraModules() {
        OfflineCli llamaRun = OfflineCli.run("inspect", "--model", llama.toString());
        OfflineCli gpt2Run = OfflineCli.run("inspect", "--model", gpt2.toString());

        assertThat(llamaRun.exitCode()).as(llamaRun.err()).isZero();
        assertThat(llamaRun.out())
                .contains("architecture:   LLAMA (LlamaForCausalLM)")
                .containsPattern("parameters:     [1-9][0-9,]+")
                .contains("dtype:          F32 stored")
                .contains("2 layers, hidden 64, 4 heads (2 KV)")
                .contains("LoRA-eligible:  q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj (14 modules)");
        assertThat(gpt2Run.exitCode()).as(gpt2Run.err()).isZero();
        assertThat(gpt2Run.out()).contains("GPT2LMHeadModel").contains("c_attn");
    }

    @Test
    void inspectOfAMissingDirectoryIsOneLineAndExitCode2() {
        OfflineCli run =
                OfflineCli.run("inspect", "--model", dir.resolve("nope").toString());

        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.err().strip())
                .startsWith("fedtune-agent inspect: ")
                .contains("nope")
                .doesNotContain("\n");
    }

    @Test
    void logitsWritesTheModelsLogitsAsNpy() throws IOException {
        Path out = dir.resolve("logits.npy");

        OfflineCli run =
                OfflineCli.run("logits", "--model", llama.toString(), "--ids", "1,2,3,200", "--out", out.toString());

        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.out()).contains("float32 [4, 384]");
        float[][] expected;
        try (PretrainedModel model = PretrainedModel.load(llama, LoadOptions.defaults())) {
            expected = model.logits(new int[] {1, 2, 3, 200});
        }
        assertThat(Npy.read(out)).isDeepEqualTo(expected);
    }

    @Test
    void logitsGoThroughAnAdapterWhenGivenOne() throws IOException {
        Path adapter = dir.resolve("prompt-adapter");
        try (PretrainedModel model = PretrainedModel.load(llama, LoadOptions.defaults());
                PeftState state = PeftState.create(model, PeftConfig.promptTuning(3, null, 5))) {
            state.toAdapter().write(adapter, llama.toString());
        }
        Path base = dir.resolve("base.npy");
        Path tuned = dir.resolve("tuned.npy");

        OfflineCli baseRun =
                OfflineCli.run("logits", "--model", llama.toString(), "--ids", "1,2,3", "--out", base.toString());
        OfflineCli tunedRun = OfflineCli.run(
                "logits",
                "--model",
                llama.toString(),
                "--adapter",
                adapter.toString(),
                "--ids",
                "1,2,3",
                "--out",
                tuned.toString());

        assertThat(baseRun.exitCode()).as(baseRun.err()).isZero();
        assertThat(tunedRun.exitCode()).as(tunedRun.err()).isZero();
        assertThat(tunedRun.out()).contains("float32 [3, 384]");
        float[][] tunedLogits = Npy.read(tuned);
        assertThat(tunedLogits).hasNumberOfRows(3);
        assertThat(java.util.Arrays.deepEquals(tunedLogits, Npy.read(base))).isFalse();
    }

    @Test
    void logitsRejectsBadIdsAndWritesNothing() {
        Path out = dir.resolve("logits.npy");

        OfflineCli outside =
                OfflineCli.run("logits", "--model", llama.toString(), "--ids", "1,384", "--out", out.toString());
        OfflineCli notANumber =
                OfflineCli.run("logits", "--model", llama.toString(), "--ids", "1,x", "--out", out.toString());
        OfflineCli noDirectory = OfflineCli.run(
                "logits",
                "--model",
                llama.toString(),
                "--ids",
                "1",
                "--out",
                dir.resolve("a/b.npy").toString());

        assertThat(outside.exitCode()).isEqualTo(2);
        assertThat(outside.err()).contains("token id 384").contains("outside the vocabulary");
        assertThat(notANumber.exitCode()).isEqualTo(2);
        assertThat(notANumber.err()).contains("--ids: 'x' is not a token id");
        assertThat(noDirectory.exitCode()).isEqualTo(2);
        assertThat(noDirectory.err()).contains("does not exist");
        assertThat(dir).isEmptyDirectory();
    }

    @Test
    void generatePrintsTextFromATokenizedModelAndIdsWithout() {
        String[] sampled = {
            "generate",
            "--model",
            llama.toString(),
            "--prompt-ids",
            "1,5,9",
            "--max-new-tokens",
            "6",
            "--temperature",
            "0.8",
            "--top-k",
            "20",
            "--top-p",
            "0.9",
            "--seed",
            "3"
        };

        OfflineCli text = OfflineCli.run(
                "generate", "--model", gpt2.toString(), "--prompt", "hello world", "--max-new-tokens", "8");
        OfflineCli ids = OfflineCli.run(sampled);
        OfflineCli again = OfflineCli.run(sampled);

        assertThat(text.exitCode()).as(text.err()).isZero();
        assertThat(text.out()).isNotBlank();
        assertThat(ids.exitCode()).as(ids.err()).isZero();
        assertThat(ids.lastLine()).matches("\\d+(,\\d+){0,5}");
        assertThat(again.lastLine()).isEqualTo(ids.lastLine());
    }

    @Test
    void aModelWithoutTokenizerServesTheTokenIdCommandsAndNamesTheMissingFileForText() throws IOException {
        Path bare = Files.createDirectories(dir.resolve("bare"));
        Files.copy(llama.resolve("config.json"), bare.resolve("config.json"));
        Files.copy(llama.resolve("model.safetensors"), bare.resolve("model.safetensors"));
        Path bareLogits = dir.resolve("bare.npy");
        Path fullLogits = dir.resolve("full.npy");
        Path data = dir.resolve("data.jsonl");
        Files.writeString(data, "{\"instruction\": \"Name a colour.\", \"output\": \"Blue.\"}\n");

        OfflineCli inspect = OfflineCli.run("inspect", "--model", bare.toString());
        OfflineCli logits = OfflineCli.run(
                "logits", "--model", bare.toString(), "--ids", "1,2,3,200", "--out", bareLogits.toString());
        OfflineCli logitsWithTokenizer = OfflineCli.run(
                "logits", "--model", llama.toString(), "--ids", "1,2,3,200", "--out", fullLogits.toString());
        OfflineCli ids = OfflineCli.run(
                "generate", "--model", bare.toString(), "--prompt-ids", "1,5,9", "--max-new-tokens", "6");
        OfflineCli idsWithTokenizer = OfflineCli.run(
                "generate", "--model", llama.toString(), "--prompt-ids", "1,5,9", "--max-new-tokens", "6");
        OfflineCli text = OfflineCli.run("generate", "--model", bare.toString(), "--prompt", "hello");
        OfflineCli eval = OfflineCli.run("eval", "--model", bare.toString(), "--data", data.toString());

        assertThat(inspect.exitCode()).as(inspect.err()).isZero();
        assertThat(inspect.out()).contains("tokenizer:      none").contains("LlamaForCausalLM");
        assertThat(logits.exitCode()).as(logits.err()).isZero();
        assertThat(logitsWithTokenizer.exitCode()).as(logitsWithTokenizer.err()).isZero();
        assertThat(Npy.read(bareLogits)).isDeepEqualTo(Npy.read(fullLogits));
        assertThat(ids.exitCode()).as(ids.err()).isZero();
        assertThat(ids.lastLine()).matches("\\d+(,\\d+){0,5}").isEqualTo(idsWithTokenizer.lastLine());
        assertThat(text.exitCode()).isEqualTo(2);
        assertThat(text.err().strip())
                .isEqualTo("fedtune-agent generate: " + bare
                        + ": no tokenizer.json; generate --prompt needs one to turn text into token ids");
        assertThat(eval.exitCode()).isEqualTo(2);
        assertThat(eval.err().strip())
                .isEqualTo("fedtune-agent eval: " + bare
                        + ": no tokenizer.json; eval needs one to turn text into token ids");
    }

    @Test
    void generatedTextIsPrintedAsItComesAndEqualsTheWholeDecode() {
        try (PretrainedModel model = PretrainedModel.load(gpt2, LoadOptions.defaults())) {
            var tokenizer = model.tokenizer().orElseThrow();
            int[] prompt = tokenizer.encode("hello world");
            int[] tokens = io.fedtune.trainer.generate.Generator.generate(
                    model, null, prompt, io.fedtune.trainer.generate.GenerationConfig.greedy(12));
            StringWriter printed = new StringWriter();
            GenerateCommand.TextStream stream = new GenerateCommand.TextStream(tokenizer, new PrintWriter(printed));

            for (int token : tokens) {
                stream.add(token);
            }
            stream.finish();

            assertThat(printed.toString()).isEqualTo(tokenizer.decode(tokens) + System.lineSeparator());
        }
    }

    @Test
    void generateRejectsASettingOutOfRangeAndAMissingAdapter() {
        OfflineCli badTopP =
                OfflineCli.run("generate", "--model", llama.toString(), "--prompt-ids", "1", "--top-p", "0");
        OfflineCli noAdapter = OfflineCli.run(
                "generate",
                "--model",
                llama.toString(),
                "--adapter",
                dir.resolve("none").toString(),
                "--prompt-ids",
                "1");

        assertThat(badTopP.exitCode()).isEqualTo(2);
        assertThat(badTopP.err()).contains("topP must be in (0, 1]");
        assertThat(noAdapter.exitCode()).isEqualTo(2);
        assertThat(noAdapter.err()).startsWith("fedtune-agent generate: ").contains("none");
    }

    @Test
    void progressBarRedrawsOneLineOnATerminalAndPrintsAboutTenLinesOtherwise() {
        StringWriter terminal = new StringWriter();
        ProgressBar bar = new ProgressBar(new PrintWriter(terminal), true);
        bar.update(1, 100, 2.5, 1234.4, Duration.ofSeconds(75));
        bar.update(2, 100, 2.25, 1300, Duration.ofSeconds(3725));
        bar.finish();
        StringWriter log = new StringWriter();
        ProgressBar plain = new ProgressBar(new PrintWriter(log), false);
        for (int step = 1; step <= 100; step++) {
            plain.update(step, 100, 1.0, 10, Duration.ZERO);
        }

        assertThat(terminal.toString())
                .startsWith("\rstep   1/100 [>")
                .contains("loss 2.5000  1,234 tok/s  ETA 1:15")
                .contains("\rstep   2/100")
                .contains("ETA 1:02:05")
                .endsWith("\n");
        assertThat(terminal.toString().chars().filter(c -> c == '\n')).hasSize(1);
        assertThat(log.toString().lines())
                .hasSize(11)
                .last()
                .asString()
                .startsWith("step 100/100 [========================] 100%");
    }
}
