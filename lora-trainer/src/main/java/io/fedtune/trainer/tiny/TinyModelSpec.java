package io.fedtune.trainer.tiny;

import io.fedtune.protocol.safetensors.DType;
import io.fedtune.trainer.model.Architecture;

/**
 * The shape of a random-weight checkpoint for tests and demos.
 *
 * @param architecture LLAMA, MISTRAL, QWEN2 (q/k/v bias) or GPT2
 * @param hidden model width
 * @param layers blocks
 * @param heads query heads
 * @param kvHeads key/value heads (GPT-2: equal to heads)
 * @param intermediate MLP width
 * @param vocabSize embedding rows; at least the tokenizer's 256 bytes, specials and merges (extra rows stay unused)
 * @param maxPositions context length
 * @param tieEmbeddings whether the output projection is the embedding matrix
 * @param attentionBias q/k/v bias (always on for QWEN2 and GPT2)
 * @param storedAs F32, F16 or BF16 in {@code model.safetensors}
 * @param seed weight seed
 */
public record TinyModelSpec(
        Architecture architecture,
        int hidden,
        int layers,
        int heads,
        int kvHeads,
        int intermediate,
        int vocabSize,
        int maxPositions,
        boolean tieEmbeddings,
        boolean attentionBias,
        DType storedAs,
        long seed) {

    public TinyModelSpec {
        if (storedAs != DType.F32 && storedAs != DType.F16 && storedAs != DType.BF16) {
            throw new IllegalArgumentException("storedAs must be F32, F16 or BF16, got " + storedAs);
        }
        if (vocabSize < TinyTokenizer.MIN_VOCAB) {
            throw new IllegalArgumentException("vocabSize must be at least " + TinyTokenizer.MIN_VOCAB);
        }
        if (hidden % heads != 0 || heads % kvHeads != 0) {
            throw new IllegalArgumentException("hidden % heads and heads % kvHeads must be 0");
        }
    }

    /** Llama-style: hidden 64, 2 layers, 4 heads over 2 key/value heads, vocabulary 384, context 128. */
    public static TinyModelSpec llama() {
        return new TinyModelSpec(Architecture.LLAMA, 64, 2, 4, 2, 176, 384, 128, false, false, DType.F32, 7L);
    }

    /** GPT-2: hidden 64, 2 layers, 4 heads, vocabulary 384, context 128, tied embeddings. */
    public static TinyModelSpec gpt2() {
        return new TinyModelSpec(Architecture.GPT2, 64, 2, 4, 4, 256, 384, 128, true, true, DType.F32, 11L);
    }

    public TinyModelSpec withArchitecture(Architecture a) {
        return new TinyModelSpec(
                a,
                hidden,
                layers,
                heads,
                kvHeads,
                intermediate,
                vocabSize,
                maxPositions,
                tieEmbeddings,
                attentionBias || a == Architecture.QWEN2,
                storedAs,
                seed);
    }

    public TinyModelSpec withStoredAs(DType dtype) {
        return new TinyModelSpec(
                architecture,
                hidden,
                layers,
                heads,
                kvHeads,
                intermediate,
                vocabSize,
                maxPositions,
                tieEmbeddings,
                attentionBias,
                dtype,
                seed);
    }

    public TinyModelSpec withTiedEmbeddings(boolean tied) {
        return new TinyModelSpec(
                architecture,
                hidden,
                layers,
                heads,
                kvHeads,
                intermediate,
                vocabSize,
                maxPositions,
                tied,
                attentionBias,
                storedAs,
                seed);
    }

    public TinyModelSpec withSeed(long newSeed) {
        return new TinyModelSpec(
                architecture,
                hidden,
                layers,
                heads,
                kvHeads,
                intermediate,
                vocabSize,
                maxPositions,
                tieEmbeddings,
                attentionBias,
                storedAs,
                newSeed);
    }

    /** A Llama-style spec of any size (the benchmark's model). */
    public static TinyModelSpec llama(
            int hidden, int layers, int heads, int kvHeads, int intermediate, int vocab, int maxPositions) {
        return new TinyModelSpec(
                Architecture.LLAMA,
                hidden,
                layers,
                heads,
                kvHeads,
                intermediate,
                vocab,
                maxPositions,
                false,
                false,
                DType.F32,
                7L);
    }
}
