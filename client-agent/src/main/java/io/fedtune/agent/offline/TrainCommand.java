package io.fedtune.agent.offline;

import io.fedtune.protocol.peft.LoraTargets;
import io.fedtune.trainer.data.JsonlDataset;
import io.fedtune.trainer.data.Split;
import io.fedtune.trainer.data.TextExample;
import io.fedtune.trainer.data.TokenizedExample;
import io.fedtune.trainer.model.Architecture;
import io.fedtune.trainer.model.PretrainedModel;
import io.fedtune.trainer.peft.PeftConfig;
import io.fedtune.trainer.peft.PeftKind;
import io.fedtune.trainer.text.TextTokenizer;
import io.fedtune.trainer.train.FineTuner;
import io.fedtune.trainer.train.Schedule;
import io.fedtune.trainer.train.TrainingConfig;
import io.fedtune.trainer.train.TrainingControl;
import io.fedtune.trainer.train.TrainingJob;
import io.fedtune.trainer.train.TrainingResult;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code train}: a local fine-tune of a model on a JSONL file, written as a PEFT adapter directory. */
@Command(
        name = "train",
        description =
                "Fine-tune a model locally with LoRA, FFA-LoRA or prompt tuning; writes a PEFT adapter directory.")
public final class TrainCommand extends OfflineCommand {

    /** The PEFT methods by their command-line names. */
    enum Method {
        LORA(PeftKind.LORA),
        FFA(PeftKind.FFA_LORA),
        PROMPT(PeftKind.PROMPT_TUNING);

        final PeftKind kind;

        Method(PeftKind kind) {
            this.kind = kind;
        }
    }

    @Option(names = "--model", required = true, paramLabel = "DIR", description = "Hugging Face model directory.")
    Path model;

    @Mixin
    DataArguments data;

    @Option(names = "--method", defaultValue = "LORA", description = "lora, ffa or prompt (default: lora).")
    Method method;

    @Option(names = "--rank", defaultValue = "8", description = "LoRA rank. Default: ${DEFAULT-VALUE}.")
    int rank;

    @Option(names = "--alpha", defaultValue = "16", description = "LoRA alpha. Default: ${DEFAULT-VALUE}.")
    double alpha;

    @Option(names = "--dropout", defaultValue = "0", description = "LoRA dropout. Default: ${DEFAULT-VALUE}.")
    double dropout;

    @Option(
            names = "--targets",
            split = ",",
            paramLabel = "MODULE",
            description = "LoRA target modules (default: q_proj,v_proj; GPT-2: c_attn).")
    List<String> targets;

    @Option(names = "--virtual-tokens", defaultValue = "20", description = "Prompt tuning. Default: ${DEFAULT-VALUE}.")
    int virtualTokens;

    @Option(names = "--prompt-init", paramLabel = "TEXT", description = "Prompt tuning: initialise from this text.")
    String promptInit;

    @Option(names = "--steps", defaultValue = "0", description = "Optimizer steps; 0 lets --epochs decide.")
    int steps;

    @Option(names = "--epochs", defaultValue = "1", description = "Default: ${DEFAULT-VALUE}.")
    int epochs;

    @Option(names = "--lr", description = "Peak learning rate (default: 2e-4; prompt tuning 3e-2).")
    Double learningRate;

    @Option(names = "--batch", defaultValue = "4", description = "Examples per step. Default: ${DEFAULT-VALUE}.")
    int batch;

    @Option(names = "--warmup", defaultValue = "0", description = "Warm-up steps. Default: ${DEFAULT-VALUE}.")
    int warmup;

    @Option(names = "--holdout", defaultValue = "0.1", description = "Share held out. Default: ${DEFAULT-VALUE}.")
    double holdout;

    @Option(names = "--seed", defaultValue = "42", description = "Default: ${DEFAULT-VALUE}.")
    long seed;

    @Option(names = "--out", defaultValue = "adapter", paramLabel = "DIR", description = "Default: ${DEFAULT-VALUE}.")
    Path out;

    @Option(names = "--overwrite", description = "Replace --out when it already holds files.")
    boolean overwrite;

    @Override
    int run() throws IOException {
        checkOut();
        JsonlDataset dataset = JsonlDataset.read(data.data, data.options(holdout, seed));
        PrintWriter console = out();
        if (dataset.skipped() > 0) {
            console.printf(
                    Locale.ROOT,
                    "skipped %d malformed lines, the first: %s%n",
                    dataset.skipped(),
                    dataset.problems().get(0));
        }
        Split<TextExample> split = dataset.split(data.options(holdout, seed));
        try (PretrainedModel loaded = ModelLoading.load(model)) {
            TextTokenizer tokenizer = ModelLoading.tokenizer(loaded, "train");
            int maxLength = Math.min(data.maxLength, loaded.config().maxPositions());
            List<TokenizedExample> train = JsonlDataset.tokenize(split.train(), tokenizer, maxLength);
            List<TokenizedExample> heldOut = JsonlDataset.tokenize(split.holdout(), tokenizer, maxLength);
            if (train.isEmpty()) {
                throw badInput(data.data + ": no example has a token to learn after tokenization");
            }
            PeftConfig peft = peftConfig(loaded);
            TrainingConfig config = new TrainingConfig(
                    epochs,
                    steps,
                    batch,
                    1,
                    learningRate != null ? learningRate : method == Method.PROMPT ? 3e-2 : 2e-4,
                    0.0,
                    warmup,
                    Schedule.COSINE,
                    1.0,
                    0.0,
                    maxLength,
                    seed);
            console.printf(
                    Locale.ROOT,
                    "training %s on %d examples (%d held out), %s%n",
                    describe(peft),
                    train.size(),
                    heldOut.size(),
                    loaded.config().architecture().className());
            console.flush();
            ProgressBar bar = new ProgressBar(console, ProgressBar.onTerminal());
            TrainingControl control = new TrainingControl();
            TrainingJob.Builder job = TrainingJob.builder()
                    .setModel(loaded)
                    .setPeft(peft)
                    .setTrainData(train)
                    .optConfig(config)
                    .optControl(control)
                    .optListener(p -> bar.update(p.step(), p.totalSteps(), p.loss(), p.tokensPerSecond(), p.eta()));
            if (!heldOut.isEmpty()) {
                job.optHoldoutData(heldOut);
            }
            TrainingResult result;
            try (StopOnInterrupt interrupt = new StopOnInterrupt(control::requestStop)) {
                result = FineTuner.train(job.build());
            }
            bar.finish();
            result.adapter().write(out, model.toAbsolutePath().toString());
            if (result.interrupted()) {
                console.printf(Locale.ROOT, "interrupted: stopped after step %d%n", result.steps());
            }
            console.printf(
                    Locale.ROOT,
                    "%d steps, %,d tokens, loss %.4f -> %.4f%s%n",
                    result.steps(),
                    result.tokens(),
                    result.firstLoss(),
                    result.finalLoss(),
                    result.holdoutLoss().isPresent()
                            ? String.format(
                                    Locale.ROOT,
                                    ", holdout loss %.4f",
                                    result.holdoutLoss().getAsDouble())
                            : "");
            console.printf(Locale.ROOT, "adapter written to %s%n", out);
            console.flush();
        }
        return 0;
    }

    private void checkOut() throws IOException {
        if (Files.exists(out) && !Files.isDirectory(out)) {
            throw badInput("--out " + out + " is a file, not a directory");
        }
        if (Files.isDirectory(out) && !overwrite) {
            try (Stream<Path> entries = Files.list(out)) {
                if (entries.findAny().isPresent()) {
                    throw badInput(
                            "--out " + out + " already holds files; choose another directory or pass --overwrite");
                }
            }
        }
    }

    private PeftConfig peftConfig(PretrainedModel loaded) {
        if (method == Method.PROMPT) {
            return PeftConfig.promptTuning(virtualTokens, promptInit, seed);
        }
        List<String> modules = targets != null && !targets.isEmpty()
                ? targets
                : loaded.config().architecture() == Architecture.GPT2
                        ? LoraTargets.GPT2_DEFAULT
                        : LoraTargets.LLAMA_DEFAULT;
        List<String> eligible = loaded.loraEligibleModules();
        for (String module : modules) {
            if (!eligible.contains(module)) {
                throw badInput("--targets: " + module + " is not a module of this model; it has "
                        + String.join(", ", eligible));
            }
        }
        PeftConfig lora = method == Method.FFA
                ? PeftConfig.ffaLora(rank, alpha, modules, seed)
                : PeftConfig.lora(rank, alpha, modules);
        return lora.withDropout(dropout);
    }

    private static String describe(PeftConfig peft) {
        return peft.kind() == PeftKind.PROMPT_TUNING
                ? "prompt tuning (" + peft.virtualTokens() + " virtual tokens)"
                : String.format(
                        Locale.ROOT,
                        "%s r=%d alpha=%s on %s",
                        peft.kind() == PeftKind.FFA_LORA ? "FFA-LoRA" : "LoRA",
                        peft.rank(),
                        peft.alpha(),
                        String.join(",", peft.targetModules()));
    }
}
