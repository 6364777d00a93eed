package io.fedtune.agent.offline;

import static org.assertj.core.api.Assertions.assertThat;

import io.fedtune.trainer.tiny.TinyModelSpec;
import io.fedtune.trainer.tiny.TinyModels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainEvalTests {

    @TempDir
    static Path shared;

    @TempDir
    Path dir;

    static Path llama;
    static Path data;

    @BeforeAll
    static void writeModelAndData() throws IOException {
        llama = TinyModels.write(shared.resolve("llama"), TinyModelSpec.llama());
        List<String> lines = new ArrayList<>();
        String[] animals = {"cat", "dog", "bird", "fish"};
        for (int i = 0; i < 16; i++) {
            String animal = animals[i % animals.length];
            lines.add(
                    i % 2 == 0
                            ? "{\"instruction\": \"Name the animal\", \"input\": \"" + animal
                                    + "\", \"output\": \"It is a " + animal + ".\"}"
                            : "{\"messages\": [{\"role\": \"user\", \"content\": \"Which animal?\"}, "
                                    + "{\"role\": \"assistant\", \"content\": \"A " + animal + ".\"}]}");
        }
        data = shared.resolve("data.jsonl");
        Files.write(data, lines);
    }

    @Test
    void trainWritesAPeftAdapterThatLowersTheEvalLoss() throws IOException {
        Path out = dir.resolve("adapter");

        OfflineCli train = OfflineCli.run(
                "train",
                "--model",
                llama.toString(),
                "--data",
                data.toString(),
                "--rank",
                "8",
                "--alpha",
                "16",
                "--targets",
                "q_proj,v_proj,o_proj,up_proj,down_proj",
                "--steps",
                "12",
                "--lr",
                "3e-2",
                "--batch",
                "4",
                "--max-length",
                "64",
                "--holdout",
                "0.2",
                "--out",
                out.toString());
        OfflineCli before = OfflineCli.run("eval", "--model", llama.toString(), "--data", data.toString());
        OfflineCli after = OfflineCli.run(
                "eval", "--model", llama.toString(), "--adapter", out.toString(), "--data", data.toString());

        assertThat(train.exitCode()).as(train.err()).isZero();
        assertThat(train.out())
                .contains("LoRA r=8")
                .contains("on 13 examples (3 held out)")
                .contains("12 steps");
        assertThat(train.lastLine()).isEqualTo("adapter written to " + out);
        assertThat(out.resolve("adapter_config.json")).exists();
        assertThat(out.resolve("adapter_model.safetensors")).exists();
        assertThat(Files.readString(out.resolve("adapter_config.json")))
                .contains("\"r\": 8")
                .contains("o_proj");
        assertThat(before.exitCode()).as(before.err()).isZero();
        assertThat(after.exitCode()).as(after.err()).isZero();
        assertThat(loss(after)).isLessThan(loss(before) * 0.8);
    }

    @Test
    void trainsPromptTuningAndFfaLora() {
        OfflineCli prompt = OfflineCli.run(
                "train",
                "--model",
                llama.toString(),
                "--data",
                data.toString(),
                "--method",
                "prompt",
                "--virtual-tokens",
                "4",
                "--steps",
                "3",
                "--out",
                dir.resolve("prompt").toString());
        OfflineCli ffa = OfflineCli.run(
                "train",
                "--model",
                llama.toString(),
                "--data",
                data.toString(),
                "--method",
                "ffa",
                "--steps",
                "3",
                "--out",
                dir.resolve("ffa").toString());

        assertThat(prompt.exitCode()).as(prompt.err()).isZero();
        assertThat(prompt.out()).contains("prompt tuning (4 virtual tokens)");
        assertThat(dir.resolve("prompt/adapter_model.safetensors")).exists();
        assertThat(ffa.exitCode()).as(ffa.err()).isZero();
        assertThat(ffa.out()).contains("FFA-LoRA r=8 alpha=16.0 on q_proj,v_proj");
    }

    @Test
    void aMalformedLineIsNamedByFileAndLineAndNothingIsWritten() throws IOException {
        Path bad = dir.resolve("bad.jsonl");
        Files.write(bad, List.of("{\"text\": \"fine\"}", "{\"text\": \"broken\""));
        Path out = dir.resolve("adapter");

        OfflineCli run =
                OfflineCli.run("train", "--model", llama.toString(), "--data", bad.toString(), "--out", out.toString());

        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.err())
                .startsWith("fedtune-agent train: " + bad + ":2: not valid JSON")
                .hasLineCount(1);
        assertThat(out).doesNotExist();
    }

    @Test
    void refusesAnOutputDirectoryWithFilesAndAnUnknownTarget() throws IOException {
        Path out = Files.createDirectories(dir.resolve("taken"));
        Files.writeString(out.resolve("keep.txt"), "mine");

        OfflineCli taken = OfflineCli.run(
                "train", "--model", llama.toString(), "--data", data.toString(), "--out", out.toString());
        OfflineCli unknown = OfflineCli.run(
                "train",
                "--model",
                llama.toString(),
                "--data",
                data.toString(),
                "--targets",
                "c_attn",
                "--out",
                dir.resolve("new").toString());

        assertThat(taken.exitCode()).isEqualTo(2);
        assertThat(taken.err()).contains("already holds files");
        assertThat(Files.readString(out.resolve("keep.txt"))).isEqualTo("mine");
        assertThat(unknown.exitCode()).isEqualTo(2);
        assertThat(unknown.err()).contains("--targets: c_attn is not a module of this model");
        assertThat(dir.resolve("new")).doesNotExist();
    }

    @Test
    void skipsMalformedLinesWhenAskedAndSaysHowMany() throws IOException {
        Path mixed = dir.resolve("mixed.jsonl");
        List<String> lines = new ArrayList<>(Files.readAllLines(data));
        lines.add(3, "{\"prompt\": \"unknown shape\"}");
        Files.write(mixed, lines);

        OfflineCli run = OfflineCli.run(
                "train",
                "--model",
                llama.toString(),
                "--data",
                mixed.toString(),
                "--skip-malformed",
                "--steps",
                "1",
                "--out",
                dir.resolve("adapter").toString());

        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.out()).contains("skipped 1 malformed lines, the first: " + mixed + ":4: unknown shape");
    }

    @Test
    void aModelWithoutTokenizerCannotTrainOnText() throws IOException {
        Path bare = Files.createDirectories(dir.resolve("bare"));
        Files.copy(llama.resolve("config.json"), bare.resolve("config.json"));
        Files.copy(llama.resolve("model.safetensors"), bare.resolve("model.safetensors"));

        OfflineCli run = OfflineCli.run(
                "train",
                "--model",
                bare.toString(),
                "--data",
                data.toString(),
                "--out",
                dir.resolve("a").toString());

        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.err().strip())
                .isEqualTo("fedtune-agent train: " + bare
                        + ": no tokenizer.json; train needs one to turn text into token ids");
    }

    @Test
    void helpListsTheOptions() {
        OfflineCli run = OfflineCli.run("train", "--help");

        assertThat(run.exitCode()).isZero();
        assertThat(run.out())
                .contains("--model=DIR")
                .contains("--method")
                .contains("--targets")
                .contains("--help");
    }

    @Test
    void evalRejectsAnEmptyFile() throws IOException {
        Path empty = Files.createFile(dir.resolve("empty.jsonl"));

        OfflineCli run = OfflineCli.run("eval", "--model", llama.toString(), "--data", empty.toString());

        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.err().strip()).isEqualTo("fedtune-agent eval: " + empty + ": holds no examples");
    }

    private static double loss(OfflineCli eval) {
        Matcher matcher = Pattern.compile("loss:\\s+([0-9.]+)").matcher(eval.out());
        assertThat(matcher.find()).as(eval.out()).isTrue();
        return Double.parseDouble(matcher.group(1));
    }
}
