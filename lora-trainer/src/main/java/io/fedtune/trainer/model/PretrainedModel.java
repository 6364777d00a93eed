package io.fedtune.trainer.model;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import io.fedtune.protocol.safetensors.DType;
import io.fedtune.trainer.peft.PeftState;
import io.fedtune.trainer.text.TextTokenizer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * A Hugging Face causal language model loaded for fine-tuning: {@code config.json} plus {@code model.safetensors} (or
 * a sharded index), memory-mapped and widened to FP32, with its tokenizer when the directory has one. Base weights
 * are frozen: nothing in fedtune ever writes to them.
 *
 * <p>Thread-safe for concurrent forwards (inference); training is serialised by the fine-tuner.
 */
public final class PretrainedModel implements AutoCloseable {
    private final Path directory;
    private final ModelConfig config;
    private final NDManager manager;
    private final Decoder decoder;
    private final DType storedAs;
    private final TextTokenizer tokenizer;
    private final List<String> modulePaths;

    private PretrainedModel(
            Path directory,
            ModelConfig config,
            NDManager manager,
            Decoder decoder,
            DType storedAs,
            TextTokenizer tokenizer) {
        this.directory = directory;
        this.config = config;
        this.manager = manager;
        this.decoder = decoder;
        this.storedAs = storedAs;
        this.tokenizer = tokenizer;
        this.modulePaths = List.copyOf(decoder.modulePaths());
    }

    /**
     * Loads a model directory.
     *
     * @throws ModelLoadException naming the file and the tensor or field when the directory is incomplete, corrupt,
     *     of an unsupported architecture, or larger than {@code options.memoryBudgetBytes()} (checked before any
     *     tensor is read)
     */
    public static PretrainedModel load(Path modelDir, LoadOptions options) {
        if (!Files.isDirectory(modelDir)) {
            throw new ModelLoadException(modelDir + ": not a directory");
        }
        ModelConfig config = ModelConfig.read(modelDir.resolve("config.json"));
        try (WeightSource weights = WeightSource.open(modelDir)) {
            long needed = weights.widenedBytes();
            if (needed > options.memoryBudgetBytes()) {
                throw new ModelLoadException(String.format(
                        Locale.ROOT,
                        "%s: the weights need %s as FP32 but the memory budget is %s; raise the budget or use a"
                                + " smaller model",
                        modelDir,
                        gib(needed),
                        gib(options.memoryBudgetBytes())));
            }
            NDManager manager = Engine.getInstance().newBaseManager(options.device());
            try {
                Decoder decoder = config.architecture().isLlamaFamily()
                        ? new LlamaDecoder(config, manager, weights)
                        : new Gpt2Decoder(config, manager, weights);
                TextTokenizer tokenizer = TextTokenizer.load(modelDir).orElse(null);
                return new PretrainedModel(modelDir, config, manager, decoder, weights.storedAs(), tokenizer);
            } catch (RuntimeException e) {
                manager.close();
                throw e;
            }
        }
    }

    private static String gib(long bytes) {
        return String.format(Locale.ROOT, "%.2f GiB (%,d bytes)", bytes / (double) (1L << 30), bytes);
    }

    public Path directory() {
        return directory;
    }

    public ModelConfig config() {
        return config;
    }

    /** Elements of the weights as loaded (a tied output projection counted once). */
    public long parameterCount() {
        return decoder.parameterCount;
    }

    /** The element type most of the checkpoint's tensors are stored as. */
    public DType storedAs() {
        return storedAs;
    }

    /** Target names LoRA may adapt in this model, such as {@code q_proj} or GPT-2's {@code c_attn}. */
    public List<String> loraEligibleModules() {
        return decoder.slotNames().stream().distinct().toList();
    }

    /** Every module path LoRA may adapt, layer by layer, such as {@code model.layers.0.self_attn.q_proj}. */
    public List<String> modulePaths() {
        return modulePaths;
    }

    /** [out, in] of the module at {@code modulePaths().get(index)}. */
    public long[] moduleShape(int index) {
        return decoder.slotShape(index % decoder.slotNames().size());
    }

    public Optional<TextTokenizer> tokenizer() {
        return Optional.ofNullable(tokenizer);
    }

    /** The manager owning the weights; arrays attached to it live as long as the model. */
    public NDManager manager() {
        return manager;
    }

    /** Starts an empty key/value cache for {@link #forward}. */
    public KvCache newCache() {
        return new KvCache(manager, config.layers());
    }

    /**
     * Logits [T][V] of one sequence, without PEFT: for checking that a checkpoint loads right.
     *
     * @throws IllegalArgumentException when an id is outside the vocabulary or the sequence is longer than the context
     */
    public float[][] logits(int[] tokenIds) {
        checkIds(tokenIds, 0);
        try (NDManager scratch = manager.newSubManager()) {
            NDArray ids = scratch.create(tokenIds, new Shape(1, tokenIds.length));
            NDArray logits = forward(ids, null, null);
            float[] flat = logits.toFloatArray();
            int v = config.vocabSize();
            float[][] out = new float[tokenIds.length][v];
            for (int t = 0; t < tokenIds.length; t++) {
                System.arraycopy(flat, t * v, out[t], 0, v);
            }
            return out;
        }
    }

    /**
     * Inference forward pass: logits [B, T, V] of ids [B, T] (int32 or int64), attached to the ids' manager. With a
     * cache, the ids continue the cached positions and their keys and values are appended to it. With a prompt-tuning
     * PEFT state the virtual tokens go first (on the first call only, when a cache is used) and their logits are not
     * returned.
     *
     * @throws IllegalArgumentException when an id is outside the vocabulary or the context would overflow
     */
    public NDArray forward(NDArray inputIds, KvCache cacheOrNull, PeftState peftOrNull) {
        if (inputIds.getShape().dimension() != 2) {
            throw new IllegalArgumentException("inputIds must be [B, T], got " + inputIds.getShape());
        }
        boolean gradMode = JniUtils.isGradMode();
        JniUtils.setGradMode(false);
        try (NDScope scope = new NDScope()) {
            long b = inputIds.getShape().get(0);
            long t = inputIds.getShape().get(1);
            NDArray ids = inputIds.getDataType() == DataType.INT64 ? inputIds : inputIds.toType(DataType.INT64, false);
            if (!ids.getDevice().equals(manager.getDevice())) {
                ids = ids.toDevice(manager.getDevice(), false);
            }
            long min = ids.min().getLong();
            long max = ids.max().getLong();
            if (min < 0 || max >= config.vocabSize()) {
                throw new IllegalArgumentException("token id " + (min < 0 ? min : max)
                        + " is outside the vocabulary [0, " + config.vocabSize() + ")");
            }
            NDArray hidden = hiddenStates(ids, cacheOrNull, peftOrNull, false);
            NDArray logits = Decoder.linear(hidden.reshape(b * t, config.hidden()), decoder.outputWeight(), null)
                    .reshape(b, t, config.vocabSize());
            if (!logits.getDevice().equals(inputIds.getDevice())) {
                logits = logits.toDevice(inputIds.getDevice(), false);
            }
            NDScope.unregister(logits);
            logits.attach(inputIds.getManager());
            return logits;
        } finally {
            JniUtils.setGradMode(gradMode);
        }
    }

    /**
     * Final-normed hidden states [B, T, H] of int64 ids [B, T] (virtual prompt tokens dropped): the trainer projects
     * only the positions it scores. Ids are not range-checked here; callers check them. Not part of the stable API.
     */
    public NDArray hiddenStates(NDArray ids, KvCache cache, PeftState peft, boolean training) {
        int offset = cache == null ? 0 : cache.length();
        long b = ids.getShape().get(0);
        int t = (int) ids.getShape().get(1);
        NDArray x = decoder.embed(ids);
        int virtual = 0;
        if (peft != null && peft.promptEmbeddings() != null && offset == 0) {
            NDArray prompt = peft.promptEmbeddings();
            virtual = (int) prompt.getShape().get(0);
            NDArray expanded = prompt.expandDims(0).broadcast(new Shape(b, virtual, config.hidden()));
            x = expanded.concat(x, 1);
        }
        int total = t + virtual;
        if (offset + total > config.maxPositions()) {
            throw new IllegalArgumentException("sequence of " + (offset + total) + " positions"
                    + (virtual > 0 ? " (" + virtual + " virtual tokens included)" : "")
                    + " is longer than the model's context of " + config.maxPositions());
        }
        NDArray hidden = decoder.blocks(x, offset, cache, peft, training);
        if (cache != null) {
            cache.advance(total);
        }
        hidden = hidden.reshape(b, total, config.hidden());
        if (virtual > 0) {
            hidden = hidden.get(new NDIndex(":, {}:", virtual));
        }
        return hidden;
    }

    /** The output projection [V, H]. Not part of the stable API. */
    public NDArray outputWeight() {
        return decoder.outputWeight();
    }

    /** Token embeddings [T, H] of ids (for prompt-tuning init). Not part of the stable API. */
    public NDArray embed(NDArray ids) {
        return decoder.embed(ids);
    }

    /**
     * Checks ids before they reach native code.
     *
     * @throws IllegalArgumentException naming the first id outside the vocabulary, or the length when the sequence (plus
     *     {@code extraPositions}) is longer than the context
     */
    public void checkIds(int[] ids, int extraPositions) {
        if (ids.length == 0) {
            throw new IllegalArgumentException("empty token sequence");
        }
        if (ids.length + extraPositions > config.maxPositions()) {
            throw new IllegalArgumentException("sequence of " + (ids.length + extraPositions)
                    + " positions is longer than the model's context of " + config.maxPositions());
        }
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] < 0 || ids[i] >= config.vocabSize()) {
                throw new IllegalArgumentException("token id " + ids[i] + " at position " + i
                        + " is outside the vocabulary [0, " + config.vocabSize() + ")");
            }
        }
    }

    /**
     * SHA-256 of every base weight as held in memory (after widening and fusing): proof that training left them
     * untouched.
     */
    public String weightsDigest() {
        try {
            java.security.MessageDigest digest = java.security.MessageDigest.getInstance("SHA-256");
            for (NDArray w : decoder.weights) {
                digest.update(w.toByteArray());
            }
            return java.util.HexFormat.of().formatHex(digest.digest());
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Checks that every id is inside the vocabulary.
     *
     * @throws IllegalArgumentException naming the first id outside it and its position
     */
    public void checkVocabulary(int[] ids) {
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] < 0 || ids[i] >= config.vocabSize()) {
                throw new IllegalArgumentException("token id " + ids[i] + " at position " + i
                        + " is outside the vocabulary [0, " + config.vocabSize() + ")");
            }
        }
    }

    @Override
    public void close() {
        decoder.close();
        if (tokenizer != null) {
            tokenizer.close();
        }
        manager.close();
    }
}
