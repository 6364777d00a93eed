package io.fedtune.trainer.peft;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import io.fedtune.protocol.peft.LoraTargets;
import io.fedtune.protocol.peft.PeftKeys;
import io.fedtune.protocol.safetensors.FloatTensor;
import io.fedtune.trainer.model.PretrainedModel;
import io.fedtune.trainer.text.TextTokenizer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;

/**
 * The live PEFT tensors on a model: LoRA A/B per adapted module, or the prompt-tuning embeddings. Trainable tensors
 * require gradients; FFA-LoRA's A does not. Owns native memory: close it.
 *
 * <p>Initialisation follows PEFT: A Kaiming-uniform (bound 1/√in), B zero, so a fresh adapter leaves the model's
 * output unchanged. A is drawn from a generator seeded by {@code sharedSeed} and the module path, so every client that
 * shares the seed derives the same A (which FFA-LoRA needs).
 */
public final class PeftState implements AutoCloseable {
    private final PretrainedModel model;
    private final PeftConfig config;
    private final NDManager manager;
    private final LoraModule[] modules;
    private final NDArray prompt;
    private final Map<String, NDArray> tensors;
    private final Map<String, NDArray> trainable;

    private PeftState(
            PretrainedModel model, PeftConfig config, NDManager manager, LoraModule[] modules, NDArray prompt) {
        this.model = model;
        this.config = config;
        this.manager = manager;
        this.modules = modules;
        this.prompt = prompt;
        Map<String, NDArray> all = new TreeMap<>();
        Map<String, NDArray> train = new TreeMap<>();
        if (prompt != null) {
            all.put(PeftKeys.PROMPT_EMBEDDINGS, prompt);
            train.put(PeftKeys.PROMPT_EMBEDDINGS, prompt);
        }
        for (LoraModule m : modules) {
            if (m == null) {
                continue;
            }
            all.put(PeftKeys.loraA(m.modulePath()), m.a());
            all.put(PeftKeys.loraB(m.modulePath()), m.b());
            if (config.kind() == PeftKind.LORA) {
                train.put(PeftKeys.loraA(m.modulePath()), m.a());
            }
            train.put(PeftKeys.loraB(m.modulePath()), m.b());
        }
        this.tensors = Collections.unmodifiableMap(new LinkedHashMap<>(all));
        this.trainable = Collections.unmodifiableMap(new LinkedHashMap<>(train));
        trainable.values().forEach(t -> t.setRequiresGradient(true));
    }

    /**
     * A fresh adapter for {@code config} on {@code model}.
     *
     * @throws IllegalArgumentException when no module of the model matches the target modules, or prompt tuning from
     *     a text has no tokenizer
     */
    public static PeftState create(PretrainedModel model, PeftConfig config) {
        NDManager manager = model.manager().newSubManager();
        try {
            if (config.kind() == PeftKind.PROMPT_TUNING) {
                return new PeftState(
                        model,
                        config,
                        manager,
                        new LoraModule[model.modulePaths().size()],
                        initPrompt(model, config, manager));
            }
            List<String> paths = model.modulePaths();
            LoraModule[] modules = new LoraModule[paths.size()];
            boolean any = false;
            for (int i = 0; i < paths.size(); i++) {
                String path = paths.get(i);
                if (!LoraTargets.matches(path, config.targetModules())) {
                    continue;
                }
                any = true;
                long[] shape = model.moduleShape(i);
                int out = (int) shape[0];
                int in = (int) shape[1];
                float[] a = kaimingUniform(config.rank(), in, config.sharedSeed(), path);
                modules[i] = new LoraModule(
                        path,
                        owned(manager, a, config.rank(), in),
                        owned(manager, new float[out * config.rank()], out, config.rank()),
                        (float) config.scaling());
            }
            if (!any) {
                throw new IllegalArgumentException(
                        "no module of this " + model.config().architecture()
                                + " model matches target modules " + config.targetModules() + "; eligible: "
                                + model.loraEligibleModules());
            }
            return new PeftState(model, config, manager, modules, null);
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    /**
     * The adapter's tensors on {@code model}.
     *
     * @throws IllegalArgumentException naming the tensor when one does not belong to this model or has the wrong shape
     */
    public static PeftState of(PretrainedModel model, Adapter adapter) {
        PeftConfig config = adapter.config();
        NDManager manager = model.manager().newSubManager();
        try {
            Map<String, FloatTensor> tensors = adapter.tensors();
            if (config.kind() == PeftKind.PROMPT_TUNING) {
                FloatTensor p = tensors.get(PeftKeys.PROMPT_EMBEDDINGS);
                long[] expected = {config.virtualTokens(), model.config().hidden()};
                if (p == null || !Arrays.equals(p.shape(), expected)) {
                    throw new IllegalArgumentException("prompt_embeddings must have shape " + Arrays.toString(expected)
                            + ", got " + (p == null ? "none" : Arrays.toString(p.shape())));
                }
                return new PeftState(
                        model,
                        config,
                        manager,
                        new LoraModule[model.modulePaths().size()],
                        owned(manager, p.values(), expected));
            }
            List<String> paths = model.modulePaths();
            LoraModule[] modules = new LoraModule[paths.size()];
            int matched = 0;
            for (int i = 0; i < paths.size(); i++) {
                String path = paths.get(i);
                FloatTensor a = tensors.get(PeftKeys.loraA(path));
                FloatTensor b = tensors.get(PeftKeys.loraB(path));
                if (a == null && b == null) {
                    continue;
                }
                long[] shape = model.moduleShape(i);
                long[] aShape = {config.rank(), shape[1]};
                long[] bShape = {shape[0], config.rank()};
                if (a == null || !Arrays.equals(a.shape(), aShape)) {
                    throw new IllegalArgumentException(PeftKeys.loraA(path) + " must have shape "
                            + Arrays.toString(aShape) + ", got " + (a == null ? "none" : Arrays.toString(a.shape())));
                }
                if (b == null || !Arrays.equals(b.shape(), bShape)) {
                    throw new IllegalArgumentException(PeftKeys.loraB(path) + " must have shape "
                            + Arrays.toString(bShape) + ", got " + (b == null ? "none" : Arrays.toString(b.shape())));
                }
                modules[i] = new LoraModule(
                        path, owned(manager, a.values(), aShape), owned(manager, b.values(), bShape), (float)
                                config.scaling());
                matched += 2;
            }
            if (matched != tensors.size()) {
                String stray = tensors.keySet().stream()
                        .filter(k -> !PeftKeys.isLoraKey(k) || !paths.contains(PeftKeys.modulePath(k)))
                        .findFirst()
                        .orElse("?");
                throw new IllegalArgumentException(
                        "adapter tensor '" + stray + "' names no LoRA-eligible module of this model");
            }
            return new PeftState(model, config, manager, modules, null);
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    private static NDArray initPrompt(PretrainedModel model, PeftConfig config, NDManager manager) {
        int n = config.virtualTokens();
        int[] ids = new int[n];
        if (config.promptInitText() != null) {
            TextTokenizer tokenizer = model.tokenizer()
                    .orElseThrow(() ->
                            new IllegalArgumentException("prompt tuning from a text needs the model's tokenizer.json"));
            int[] text = tokenizer.encode(config.promptInitText());
            if (text.length == 0) {
                throw new IllegalArgumentException("prompt init text encodes to no tokens");
            }
            for (int i = 0; i < n; i++) {
                ids[i] = text[i % text.length];
            }
        } else {
            SplittableRandom random = new SplittableRandom(config.sharedSeed());
            for (int i = 0; i < n; i++) {
                ids[i] = random.nextInt(model.config().vocabSize());
            }
        }
        try (NDManager scratch = manager.newSubManager()) {
            NDArray idArray = scratch.create(ids).toType(ai.djl.ndarray.types.DataType.INT64, false);
            float[] rows = model.embed(idArray).toFloatArray();
            return owned(manager, rows, n, model.config().hidden());
        }
    }

    /** PEFT's LoRA A init, Kaiming-uniform with a = √5: U(-1/√in, 1/√in), seeded by the seed and the module path. */
    static float[] kaimingUniform(int rank, int in, long seed, String modulePath) {
        SplittableRandom random = new SplittableRandom(seed ^ fnv1a(modulePath));
        double bound = 1.0 / Math.sqrt(in);
        float[] values = new float[rank * in];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) ((random.nextDouble() * 2 - 1) * bound);
        }
        return values;
    }

    private static long fnv1a(String s) {
        long hash = 0xcbf29ce484222325L;
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
            hash ^= b & 0xff;
            hash *= 0x100000001b3L;
        }
        return hash;
    }

    private static NDArray owned(NDManager manager, float[] values, long... shape) {
        NDArray array = manager.create(values, new Shape(shape));
        NDScope.unregister(array);
        return array;
    }

    public PeftConfig config() {
        return config;
    }

    public PretrainedModel model() {
        return model;
    }

    /** The LoRA matrices of the module at {@code model.modulePaths().get(index)}, or null when it is not adapted. */
    public LoraModule lora(int moduleIndex) {
        return modules[moduleIndex];
    }

    /** The virtual-token embeddings [N, H] of prompt tuning, or null. */
    public NDArray promptEmbeddings() {
        return prompt;
    }

    /** Every tensor by PEFT key (FFA-LoRA's frozen A included), sorted by key. */
    public Map<String, NDArray> tensors() {
        return tensors;
    }

    /** The tensors the optimizer updates, by PEFT key, sorted by key. */
    public Map<String, NDArray> trainable() {
        return trainable;
    }

    /** Overwrites the live tensors with an adapter's values (same config and shapes). */
    public void load(Adapter adapter) {
        for (Map.Entry<String, NDArray> e : tensors.entrySet()) {
            FloatTensor t = adapter.tensors().get(e.getKey());
            if (t == null || !Arrays.equals(t.shape(), e.getValue().getShape().getShape())) {
                throw new IllegalArgumentException("adapter tensor '" + e.getKey() + "' is missing or misshapen");
            }
            e.getValue().set(t.values());
        }
    }

    /** A heap copy of the current tensors. */
    public Adapter toAdapter() {
        Map<String, FloatTensor> out = new TreeMap<>();
        for (Map.Entry<String, NDArray> e : tensors.entrySet()) {
            out.put(
                    e.getKey(),
                    new FloatTensor(
                            e.getValue().getShape().getShape(), e.getValue().toFloatArray()));
        }
        return new Adapter(config, out);
    }

    @Override
    public void close() {
        manager.close();
    }
}
