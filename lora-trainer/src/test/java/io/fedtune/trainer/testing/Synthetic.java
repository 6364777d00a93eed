package io.fedtune.trainer.testing;

import io.fedtune.trainer.data.TokenizedExample;
import io.fedtune.trainer.text.TextTokenizer;
import java.util.ArrayList;
import java.util.List;

/** A small synthetic instruction dataset: questions with fixed answers, tokenized by the tiny tokenizer. */
public final class Synthetic {
    private static final String[][] PAIRS = {
        {"Question: What is the capital of France? Answer:", " Paris."},
        {"Question: What is two plus two? Answer:", " Four."},
        {"Question: What colour is the sky? Answer:", " Blue."},
        {"Question: Who trains the adapter? Answer:", " Each client."},
        {"Question: What stays local? Answer:", " The data."},
        {"Question: What does the server average? Answer:", " The adapters."},
        {"Question: What is the capital of Italy? Answer:", " Rome."},
        {"Question: What is the opposite of cold? Answer:", " Hot."},
    };

    private Synthetic() {}

    public static List<TokenizedExample> examples(TextTokenizer tokenizer, int count) {
        List<TokenizedExample> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            String[] pair = PAIRS[i % PAIRS.length];
            int[] prompt = tokenizer.encode(pair[0]);
            int[] response = tokenizer.encode(pair[1]);
            int[] all = new int[prompt.length + response.length + 1];
            System.arraycopy(prompt, 0, all, 0, prompt.length);
            System.arraycopy(response, 0, all, prompt.length, response.length);
            all[all.length - 1] = tokenizer.eosId().orElse(0);
            out.add(new TokenizedExample(all, prompt.length));
        }
        return out;
    }
}
