package io.fedtune.protocol.peft;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * The module names LoRA may target ({@code target_modules} in a PEFT config): the linear layers of the architectures
 * fedtune trains, and PEFT's rule for which modules a target name selects.
 */
public final class LoraTargets {

    /** Linear layers of LLaMA-family blocks (Llama, Mistral, Qwen2). */
    public static final Set<String> LLAMA = Collections.unmodifiableSet(
            new TreeSet<>(List.of("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")));

    /** Linear (Conv1D) layers of GPT-2 blocks. */
    public static final Set<String> GPT2 =
            Collections.unmodifiableSet(new TreeSet<>(List.of("c_attn", "c_proj", "c_fc")));

    /** Every target name fedtune accepts, sorted. */
    public static final Set<String> ELIGIBLE;

    /** PEFT's default targets for LLaMA-family models. */
    public static final List<String> LLAMA_DEFAULT = List.of("q_proj", "v_proj");

    /** PEFT's default target for GPT-2. */
    public static final List<String> GPT2_DEFAULT = List.of("c_attn");

    static {
        TreeSet<String> all = new TreeSet<>(LLAMA);
        all.addAll(GPT2);
        ELIGIBLE = Collections.unmodifiableSet(all);
    }

    private LoraTargets() {}

    /** Whether LoRA may target modules of that name. */
    public static boolean isEligible(String targetName) {
        return ELIGIBLE.contains(targetName);
    }

    /**
     * Checks a {@code target_modules} list and returns it sorted, without duplicates.
     *
     * @throws IllegalArgumentException when it is empty or names a module LoRA cannot target, listing the eligible
     *     names
     */
    public static List<String> requireEligible(Collection<String> targets) {
        if (targets == null || targets.isEmpty()) {
            throw new IllegalArgumentException("target_modules is empty; eligible targets: " + ELIGIBLE);
        }
        TreeSet<String> sorted = new TreeSet<>();
        List<String> unknown = new ArrayList<>();
        for (String target : targets) {
            if (target == null || !isEligible(target)) {
                unknown.add(String.valueOf(target));
            } else {
                sorted.add(target);
            }
        }
        if (!unknown.isEmpty()) {
            throw new IllegalArgumentException(
                    "target_modules names " + unknown + ", which LoRA cannot target; eligible targets: " + ELIGIBLE);
        }
        return List.copyOf(sorted);
    }

    /**
     * Whether the module at {@code modulePath} is selected by {@code targets}, as PEFT decides it: its path equals a
     * target or ends with {@code "." + target}.
     */
    public static boolean matches(String modulePath, Collection<String> targets) {
        PeftKeys.requireModulePath(modulePath);
        for (String target : targets) {
            if (modulePath.equals(target) || modulePath.endsWith("." + target)) {
                return true;
            }
        }
        return false;
    }
}
