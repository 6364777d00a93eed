package io.fedtune.agent.offline;

import io.fedtune.trainer.data.ChatTemplate;
import io.fedtune.trainer.generate.GenerationConfig;
import io.fedtune.trainer.generate.Generator;
import io.fedtune.trainer.model.PretrainedModel;
import io.fedtune.trainer.peft.Adapter;
import io.fedtune.trainer.peft.PeftState;
import io.fedtune.trainer.text.TextTokenizer;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code generate}: text (or token ids) from a model, with or without an adapter. */
@Command(name = "generate", description = "Generate a continuation of a prompt, optionally through a trained adapter.")
public final class GenerateCommand extends OfflineCommand {

    @Option(names = "--model", required = true, paramLabel = "DIR", description = "Hugging Face model directory.")
    Path model;

    @Option(names = "--adapter", paramLabel = "DIR", description = "PEFT adapter directory to apply.")
    Path adapter;

    @ArgGroup(multiplicity = "1")
    Input input;

    static final class Input {
        @Option(names = "--prompt", paramLabel = "TEXT", description = "Prompt text (needs the model's tokenizer).")
        String prompt;

        @Option(names = "--prompt-ids", paramLabel = "1,2,3", description = "Prompt as token ids; prints ids.")
        String promptIds;
    }

    @Option(
            names = "--template",
            defaultValue = "NONE",
            description = "Wrap the prompt as a user turn: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).")
    ChatTemplate template;

    @Option(names = "--max-new-tokens", defaultValue = "64", description = "Default: ${DEFAULT-VALUE}.")
    int maxNewTokens;

    @Option(names = "--temperature", defaultValue = "0", description = "0 is greedy. Default: ${DEFAULT-VALUE}.")
    double temperature;

    @Option(names = "--top-k", defaultValue = "0", description = "0 is off. Default: ${DEFAULT-VALUE}.")
    int topK;

    @Option(names = "--top-p", defaultValue = "1", description = "1 is off. Default: ${DEFAULT-VALUE}.")
    double topP;

    @Option(names = "--seed", defaultValue = "0", description = "Sampling seed. Default: ${DEFAULT-VALUE}.")
    long seed;

    @Override
    int run() {
        GenerationConfig config = GenerationConfig.greedy(maxNewTokens).withSampling(temperature, topK, topP, seed);
        Adapter trained = adapter == null ? null : Adapter.read(adapter);
        try (PretrainedModel loaded = ModelLoading.load(model);
                PeftState state = trained == null ? null : PeftState.of(loaded, trained)) {
            if (input.promptIds != null) {
                int[] prompt = TokenIds.parse("--prompt-ids", input.promptIds);
                List<Integer> stops = new ArrayList<>();
                if (loaded.config().eosTokenId() >= 0) {
                    stops.add(loaded.config().eosTokenId());
                }
                int[] tokens = Generator.generate(loaded, state, prompt, config.withStopTokens(stops));
                out().println(Arrays.stream(tokens).mapToObj(Integer::toString).collect(Collectors.joining(",")));
            } else {
                TextTokenizer tokenizer = ModelLoading.tokenizer(loaded, "generate --prompt");
                String text = template == ChatTemplate.NONE ? input.prompt : template.promptFor(input.prompt);
                int[] prompt = promptTokens(tokenizer, text);
                TextStream stream = new TextStream(tokenizer, out());
                Generator.generate(loaded, state, prompt, config.withStopTokens(stops(tokenizer)), stream::add);
                stream.finish();
            }
            out().flush();
        }
        return 0;
    }

    private static int[] promptTokens(TextTokenizer tokenizer, String text) {
        int[] ids = tokenizer.encode(text);
        var bos = tokenizer.bosId();
        var eos = tokenizer.eosId();
        if (bos.isPresent() && (eos.isEmpty() || eos.getAsInt() != bos.getAsInt())) {
            int[] withBos = new int[ids.length + 1];
            withBos[0] = bos.getAsInt();
            System.arraycopy(ids, 0, withBos, 1, ids.length);
            return withBos;
        }
        return ids;
    }

    private List<Integer> stops(TextTokenizer tokenizer) {
        List<Integer> stops = new ArrayList<>();
        tokenizer.eosId().ifPresent(stops::add);
        if (template == ChatTemplate.CHATML) {
            tokenizer.specialId("<|im_end|>").ifPresent(stops::add);
        }
        return stops;
    }

    /**
     * Prints generated text as tokens arrive: decodes everything generated so far and prints what is new, holding
     * back a trailing replacement character (a multi-byte character whose remaining bytes are still to come).
     */
    static final class TextStream {
        private final TextTokenizer tokenizer;
        private final PrintWriter out;
        private int[] tokens = new int[16];
        private int count;
        private int printed;

        TextStream(TextTokenizer tokenizer, PrintWriter out) {
            this.tokenizer = tokenizer;
            this.out = out;
        }

        void add(int token) {
            if (count == tokens.length) {
                tokens = Arrays.copyOf(tokens, count * 2);
            }
            tokens[count++] = token;
            String text = tokenizer.decode(Arrays.copyOf(tokens, count));
            int end = text.endsWith("\uFFFD") ? text.length() - 1 : text.length();
            if (end > printed) {
                out.print(text.substring(printed, end));
                out.flush();
                printed = end;
            }
        }

        void finish() {
            String text = tokenizer.decode(Arrays.copyOf(tokens, count));
            if (text.length() > printed) {
                out.print(text.substring(printed));
            }
            out.println();
            out.flush();
        }
    }
}
