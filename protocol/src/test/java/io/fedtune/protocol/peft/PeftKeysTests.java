package io.fedtune.protocol.peft;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class PeftKeysTests {

    private static final String Q_PROJ = "model.layers.0.self_attn.q_proj";

    @Test
    void loraKeysAreNamedAsPeftSavesThem() {
        assertThat(PeftKeys.loraA(Q_PROJ)).isEqualTo("base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight");
        assertThat(PeftKeys.loraB("transformer.h.11.attn.c_attn"))
                .isEqualTo("base_model.model.transformer.h.11.attn.c_attn.lora_B.weight");
        assertThat(PeftKeys.PROMPT_EMBEDDINGS).isEqualTo("prompt_embeddings");
        assertThat(PeftKeys.isPromptEmbeddings("prompt_embeddings")).isTrue();
    }

    @Test
    void aKeyParsesIntoItsModulePathAndMatrixAndBack() {
        LoraKey key = PeftKeys.parse("base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight");

        assertThat(key).isEqualTo(new LoraKey(Q_PROJ, LoraMatrix.B));
        assertThat(key.key()).isEqualTo(PeftKeys.loraB(Q_PROJ));
        assertThat(key.targetName()).isEqualTo("q_proj");
        assertThat(key.partner().key()).isEqualTo(PeftKeys.loraA(Q_PROJ));
        assertThat(PeftKeys.modulePath(PeftKeys.loraA("lm_head"))).isEqualTo("lm_head");
        assertThat(PeftKeys.isLoraKey(PeftKeys.loraA(Q_PROJ))).isTrue();
        assertThat(PeftKeys.isLoraKey(PeftKeys.PROMPT_EMBEDDINGS)).isFalse();
    }

    @Test
    void malformedKeysAreRejectedSayingWhatIsWrong() {
        assertThatThrownBy(() -> PeftKeys.parse("model.layers.0.q_proj.lora_A.weight"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("must start with 'base_model.model.'")
                .hasMessageContaining("expected base_model.model.<module path>.lora_A.weight");
        assertThatThrownBy(() -> PeftKeys.parse("base_model.model.model.layers.0.q_proj.lora_A.default.weight"))
                .hasMessageContaining("it names adapter 'default' after lora_A, which saved adapters omit");
        assertThatThrownBy(() -> PeftKeys.parse("base_model.model.model.layers.0.q_proj.weight"))
                .hasMessageContaining("no lora_A or lora_B before '.weight'");
        assertThatThrownBy(() -> PeftKeys.parse("base_model.model.lora_A.weight"))
                .hasMessageContaining("it has no module path");
        assertThatThrownBy(() -> PeftKeys.parse("base_model.model.model..q_proj.lora_A.weight"))
                .hasMessageContaining("module path 'model..q_proj' has an empty segment");
        assertThatThrownBy(() -> PeftKeys.parse("base_model.model.model.layers.0.q-proj.lora_A.weight"))
                .hasMessageContaining("has character '-' in segment 'q-proj'");
        assertThatThrownBy(() -> PeftKeys.parse("base_model.model.model.q_proj.lora_A.bias"))
                .hasMessageContaining("it must end with '.weight'");
        assertThatThrownBy(() -> PeftKeys.parse("base_model.model.x.lora_A.q_proj.lora_B.weight"))
                .hasMessageContaining("contains 'lora_A', which only ends a LoRA key");
    }

    @Test
    void malformedModulePathsAreRejectedWhenBuildingKeys() {
        assertThatThrownBy(() -> PeftKeys.loraA(""))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("module path is empty");
        assertThatThrownBy(() -> PeftKeys.loraA(".q_proj")).hasMessageContaining("has an empty segment");
        assertThatThrownBy(() -> new LoraKey("a b", LoraMatrix.A)).hasMessageContaining("has character ' '");
    }

    @Test
    void targetsAreCheckedAgainstTheEligibleLinearLayers() {
        assertThat(LoraTargets.requireEligible(List.of("v_proj", "q_proj", "q_proj")))
                .containsExactly("q_proj", "v_proj");
        assertThat(LoraTargets.isEligible("c_attn")).isTrue();
        assertThat(LoraTargets.isEligible("embed_tokens")).isFalse();
        assertThat(LoraTargets.ELIGIBLE).containsAll(LoraTargets.LLAMA).containsAll(LoraTargets.GPT2);
        assertThat(LoraTargets.ELIGIBLE).containsAll(LoraTargets.LLAMA_DEFAULT).containsAll(LoraTargets.GPT2_DEFAULT);
        assertThatThrownBy(() -> LoraTargets.requireEligible(List.of("q_proj", "embed_tokens")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("target_modules names [embed_tokens], which LoRA cannot target")
                .hasMessageContaining("eligible targets: [c_attn, c_fc, c_proj, down_proj");
        assertThatThrownBy(() -> LoraTargets.requireEligible(List.of()))
                .hasMessageContaining("target_modules is empty");
    }

    @Test
    void aTargetSelectsModulesWhosePathEndsWithIt() {
        List<String> targets = List.of("q_proj", "v_proj");

        assertThat(LoraTargets.matches(Q_PROJ, targets)).isTrue();
        assertThat(LoraTargets.matches("q_proj", targets)).isTrue();
        assertThat(LoraTargets.matches("model.layers.0.self_attn.k_proj", targets))
                .isFalse();
        assertThat(LoraTargets.matches("model.layers.0.self_attn.xq_proj", targets))
                .isFalse();
    }
}
