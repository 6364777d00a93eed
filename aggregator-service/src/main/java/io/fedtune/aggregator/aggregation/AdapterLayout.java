package io.fedtune.aggregator.aggregation;

import io.fedtune.protocol.api.Architecture;
import io.fedtune.protocol.api.FederationConfig;
import io.fedtune.protocol.api.LoraMode;
import io.fedtune.protocol.api.ModelDims;
import io.fedtune.protocol.api.PeftMethod;
import io.fedtune.protocol.api.PeftSpec;
import io.fedtune.protocol.api.TargetModule;
import java.util.ArrayList;
import java.util.List;

/**
 * The tensors of a federation's adapter, derived once from its config: each LoRA module with its PEFT keys and
 * shapes ({@code lora_A} [r, in], {@code lora_B} [out, r]), or the prompt embeddings. Modules are listed in the
 * config, or derived from the base model's dimensions for every layer, in layer order:
 *
 * <ul>
 *   <li>llama: {@code q_proj k_proj v_proj o_proj} under {@code model.layers.N.self_attn}, {@code gate_proj up_proj
 *       down_proj} under {@code model.layers.N.mlp} (grouped-query widths for k and v);
 *   <li>gpt2: {@code c_attn} (and {@code c_proj}) under {@code transformer.h.N.attn}, {@code c_fc} (and
 *       {@code c_proj}) under {@code transformer.h.N.mlp}.
 * </ul>
 *
 * @param method LoRA or prompt tuning
 * @param rank the federation's rank r
 * @param modules the LoRA modules (empty for prompt tuning)
 * @param prompt the prompt-embedding tensor (null for LoRA)
 */
public record AdapterLayout(PeftMethod method, int rank, List<Module> modules, TensorSpec prompt) {

    /** The PEFT key of prompt-tuning embeddings. */
    public static final String PROMPT_KEY = "prompt_embeddings";

    /**
     * One LoRA module.
     *
     * @param path its path in the base model
     * @param in input width
     * @param out output width
     */
    public record Module(String path, int in, int out) {
        public String aKey() {
            return "base_model.model." + path + ".lora_A.weight";
        }

        public String bKey() {
            return "base_model.model." + path + ".lora_B.weight";
        }

        public TensorSpec a(int rank) {
            return new TensorSpec(aKey(), new int[] {rank, in});
        }

        public TensorSpec b(int rank) {
            return new TensorSpec(bKey(), new int[] {out, rank});
        }
    }

    /**
     * Derives the layout.
     *
     * @throws IllegalArgumentException naming the target module or dimension that does not fit
     */
    public static AdapterLayout of(FederationConfig config) {
        PeftSpec peft = config.peft();
        if (peft.method() == PeftMethod.PROMPT_TUNING) {
            ModelDims dims = config.baseModel().dims();
            if (dims == null) {
                throw new IllegalArgumentException("prompt tuning needs baseModel.dims.hiddenSize");
            }
            return new AdapterLayout(peft.method(), peft.rank(), List.of(), new TensorSpec(PROMPT_KEY, new int[] {
                peft.numVirtualTokens(), dims.hiddenSize()
            }));
        }
        List<Module> modules = new ArrayList<>();
        if (peft.modules() != null && !peft.modules().isEmpty()) {
            for (TargetModule m : peft.modules()) {
                modules.add(new Module(m.path(), m.inFeatures(), m.outFeatures()));
            }
        } else {
            ModelDims dims = config.baseModel().dims();
            for (int layer = 0; layer < dims.numLayers(); layer++) {
                for (String target : peft.targetModules()) {
                    modules.addAll(derive(dims, layer, target));
                }
            }
        }
        if (modules.stream().map(Module::path).distinct().count() != modules.size()) {
            throw new IllegalArgumentException("peft lists a module twice");
        }
        return new AdapterLayout(peft.method(), peft.rank(), List.copyOf(modules), null);
    }

    private static List<Module> derive(ModelDims d, int layer, String target) {
        int h = d.hiddenSize();
        int attention = d.numHeads() * d.headWidth();
        int kv = d.kvHeads() * d.headWidth();
        int inter = d.intermediateSize();
        if (d.architecture() == Architecture.LLAMA) {
            String attn = "model.layers." + layer + ".self_attn.";
            String mlp = "model.layers." + layer + ".mlp.";
            return switch (target) {
                case "q_proj" -> List.of(new Module(attn + target, h, attention));
                case "k_proj", "v_proj" -> List.of(new Module(attn + target, h, kv));
                case "o_proj" -> List.of(new Module(attn + target, attention, h));
                case "gate_proj", "up_proj" -> List.of(new Module(mlp + target, h, inter));
                case "down_proj" -> List.of(new Module(mlp + target, inter, h));
                default -> throw unknown(target, "llama", "q_proj k_proj v_proj o_proj gate_proj up_proj down_proj");
            };
        }
        String attn = "transformer.h." + layer + ".attn.";
        String mlp = "transformer.h." + layer + ".mlp.";
        return switch (target) {
            case "c_attn" -> List.of(new Module(attn + target, h, 3 * h));
            case "c_fc" -> List.of(new Module(mlp + target, h, inter));
            case "c_proj" -> List.of(new Module(attn + target, h, h), new Module(mlp + target, inter, h));
            default -> throw unknown(target, "gpt2", "c_attn c_proj c_fc");
        };
    }

    private static IllegalArgumentException unknown(String target, String architecture, String known) {
        return new IllegalArgumentException(
                "unknown target module '" + target + "' for " + architecture + " (known: " + known + ")");
    }

    /** Every tensor of a global adapter of the given rank, in file order. */
    public List<TensorSpec> globalTensors(int rank) {
        if (prompt != null) {
            return List.of(prompt);
        }
        List<TensorSpec> specs = new ArrayList<>();
        for (Module m : modules) {
            specs.add(m.a(rank));
            specs.add(m.b(rank));
        }
        return specs;
    }

    /** The tensors the dense engine aggregates in a dense mode: all (fedit), only B (ffa), or the embeddings. */
    public List<TensorSpec> denseTensors(LoraMode mode) {
        if (prompt != null) {
            return List.of(prompt);
        }
        List<TensorSpec> specs = new ArrayList<>();
        for (Module m : modules) {
            if (mode != LoraMode.FFA) {
                specs.add(m.a(rank));
            }
            specs.add(m.b(rank));
        }
        return specs;
    }

    /** Whether clients may train a rank below the federation's in this mode. */
    public static boolean allowsLowerRank(LoraMode mode) {
        return mode == LoraMode.EXACT || mode == LoraMode.STACK || mode == LoraMode.HETLORA;
    }

    /** The total number of adapter parameters at the federation's rank. */
    public long parameters() {
        return globalTensors(rank).stream().mapToLong(TensorSpec::elements).sum();
    }
}
