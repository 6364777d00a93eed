package io.fedtune.registry.adapter;

import io.fedtune.blobstore.BlobStore;
import io.fedtune.blobstore.NoSuchBlobException;
import io.fedtune.protocol.api.registry.AdapterMethod;
import io.fedtune.protocol.api.registry.AdapterMetrics;
import io.fedtune.protocol.api.registry.AdapterPeftConfig;
import io.fedtune.protocol.api.registry.BaseModelView;
import io.fedtune.protocol.api.registry.PrivacySettings;
import io.fedtune.protocol.peft.PeftKeys;
import io.fedtune.protocol.safetensors.SafetensorsLimits;
import io.fedtune.protocol.safetensors.SafetensorsStreamReader;
import io.fedtune.protocol.safetensors.TensorInfo;
import io.fedtune.registry.model.ModelLookup;
import io.fedtune.registry.system.RegistryException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.attribute.FileTime;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Component;
import tools.jackson.databind.SerializationFeature;
import tools.jackson.databind.json.JsonMapper;

/**
 * Exports an adapter version in Hugging Face PEFT layout, as a zip streamed to the client: {@code adapter_config.json},
 * {@code adapter_model.safetensors} (the stored bytes, unchanged: they already carry PEFT key names) and a
 * {@code README.md} model card. {@code PeftModel.from_pretrained(base, "<unzipped dir>")} loads it.
 */
@Component
class PeftExport {

    private static final Set<String> CONV1D_TARGETS = Set.of("c_attn", "c_proj", "c_fc");

    private final BlobStore blobs;
    private final AdapterRepository adapters;
    private final ModelLookup models;
    private final JsonMapper json;

    PeftExport(BlobStore blobs, AdapterRepository adapters, ModelLookup models, JsonMapper json) {
        this.blobs = blobs;
        this.adapters = adapters;
        this.models = models;
        this.json = json.rebuild().enable(SerializationFeature.INDENT_OUTPUT).build();
    }

    /** The name offered for saving the zip. */
    static String filename(Federation federation, AdapterVersion version) {
        String name = federation.name().toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9._-]+", "-");
        return name + "-v" + version.version() + "-peft.zip";
    }

    /** Writes the zip; the adapter's bytes stream from the blob store as a stored (uncompressed) entry. */
    void write(Federation federation, AdapterVersion version, OutputStream out) throws IOException {
        AdapterService.requireContent(version);
        Optional<BaseModelView> baseModel = models.find(version.baseModel());
        Long tokenDim = version.peft().method() == AdapterMethod.PROMPT_TUNING ? promptTokenDim(version) : null;
        FileTime time = FileTime.from(version.createdAt());
        InputStream content;
        try {
            content = blobs.get(version.blobKey());
        } catch (NoSuchBlobException e) {
            throw new RegistryException(HttpStatus.GONE, "content-pruned", "The content was removed by retention");
        }
        try (InputStream adapter = content;
                ZipOutputStream zip = new ZipOutputStream(new NonClosing(out), StandardCharsets.UTF_8)) {
            zip.setComment("fedtune adapter " + version.federationId() + " v" + version.version());

            ZipEntry config = new ZipEntry("adapter_config.json");
            config.setLastModifiedTime(time);
            zip.putNextEntry(config);
            zip.write(json.writeValueAsBytes(adapterConfig(version, baseModel, tokenDim)));
            zip.closeEntry();

            ZipEntry model = new ZipEntry("adapter_model.safetensors");
            model.setMethod(ZipEntry.STORED);
            model.setSize(version.sizeBytes());
            model.setCompressedSize(version.sizeBytes());
            model.setCrc(version.crc32());
            model.setLastModifiedTime(time);
            zip.putNextEntry(model);
            adapter.transferTo(zip);
            zip.closeEntry();

            ZipEntry card = new ZipEntry("README.md");
            card.setLastModifiedTime(time);
            zip.putNextEntry(card);
            zip.write(modelCard(federation, version, baseModel).getBytes(StandardCharsets.UTF_8));
            zip.closeEntry();
        }
    }

    /** {@code adapter_config.json} as PEFT writes it for a causal language model. */
    Map<String, Object> adapterConfig(AdapterVersion version, Optional<BaseModelView> baseModel, Long tokenDim) {
        AdapterPeftConfig peft = version.peft();
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("base_model_name_or_path", baseModelPath(version, baseModel));
        config.put("inference_mode", true);
        config.put("revision", null);
        config.put("task_type", "CAUSAL_LM");
        if (peft.method() == AdapterMethod.PROMPT_TUNING) {
            config.put("peft_type", "PROMPT_TUNING");
            config.put("num_virtual_tokens", peft.numVirtualTokens());
            config.put("token_dim", tokenDim);
            config.put("num_transformer_submodules", 1);
            config.put("num_attention_heads", null);
            config.put("num_layers", null);
            config.put("prompt_tuning_init", "RANDOM");
            config.put("prompt_tuning_init_text", null);
            config.put("tokenizer_name_or_path", null);
            return config;
        }
        config.put("peft_type", "LORA");
        config.put("r", peft.rank());
        config.put("lora_alpha", peft.alpha());
        config.put("lora_dropout", peft.dropout());
        config.put("target_modules", peft.targetModules());
        config.put("use_rslora", peft.rsLora());
        config.put("fan_in_fan_out", CONV1D_TARGETS.containsAll(peft.targetModules()));
        config.put("bias", "none");
        config.put("init_lora_weights", true);
        config.put("use_dora", false);
        config.put("modules_to_save", null);
        config.put("layers_to_transform", null);
        config.put("layers_pattern", null);
        config.put("rank_pattern", Map.of());
        config.put("alpha_pattern", Map.of());
        return config;
    }

    private static String baseModelPath(AdapterVersion version, Optional<BaseModelView> baseModel) {
        return baseModel
                .map(BaseModelView::sourceUri)
                .filter(uri -> uri.startsWith("hf://"))
                .map(uri -> uri.substring("hf://".length()))
                .orElse(version.baseModel());
    }

    private Long promptTokenDim(AdapterVersion version) throws IOException {
        try (InputStream in = blobs.get(version.blobKey())) {
            SafetensorsStreamReader reader = SafetensorsStreamReader.open(
                    in, SafetensorsLimits.DEFAULT.withMaxHeaderBytes(AdapterContentCheck.MAX_HEADER_BYTES));
            TensorInfo embeddings = reader.header().tensor(PeftKeys.PROMPT_EMBEDDINGS);
            return embeddings.shape()[1];
        } catch (NoSuchBlobException e) {
            throw new RegistryException(HttpStatus.GONE, "content-pruned", "The content was removed by retention");
        }
    }

    /** The model card: what the adapter is, where it comes from, how well it did, and under what privacy. */
    String modelCard(Federation federation, AdapterVersion version, Optional<BaseModelView> baseModel) {
        AdapterPeftConfig peft = version.peft();
        AdapterMetrics metrics = version.metrics();
        List<AdapterVersion> ancestors = adapters.ancestors(version.federationId(), version.version());
        long contributions = (metrics.clients() == null ? 0 : metrics.clients())
                + ancestors.stream()
                        .map(AdapterVersion::metrics)
                        .mapToLong(m -> m.clients() == null ? 0 : m.clients())
                        .sum();
        StringBuilder card = new StringBuilder();
        card.append("---\n");
        card.append("base_model: ")
                .append(yaml(baseModelPath(version, baseModel)))
                .append('\n');
        card.append("library_name: peft\n");
        baseModel
                .map(BaseModelView::license)
                .ifPresent(license ->
                        card.append("license: ").append(yaml(license)).append('\n'));
        card.append("tags:\n  - fedtune\n  - federated-learning\n  - ")
                .append(peft.method() == AdapterMethod.LORA ? "lora" : "prompt-tuning")
                .append('\n');
        card.append("---\n\n");
        card.append("# ")
                .append(federation.name())
                .append(" — adapter version ")
                .append(version.version());
        card.append("\n\n");
        card.append("A ")
                .append(peft.method() == AdapterMethod.LORA ? "LoRA" : "prompt-tuning")
                .append(" adapter trained by federated learning with fedtune: each participant trained on its own")
                .append(" data, and only adapter updates left its machine.\n\n");

        card.append("## Base model\n\n");
        card.append("- Name: `").append(version.baseModel()).append("`\n");
        baseModel.ifPresent(model -> {
            card.append("- Architecture: ").append(model.architecture()).append('\n');
            card.append("- Source: ").append(model.sourceUri()).append('\n');
            if (model.parameterCount() != null) {
                card.append("- Parameters: ").append(model.parameterCount()).append('\n');
            }
            if (model.license() != null) {
                card.append("- License: ").append(model.license()).append('\n');
            }
            if (model.sha256() != null) {
                card.append("- Checkpoint SHA-256: `").append(model.sha256()).append("`\n");
            }
        });
        card.append('\n');

        card.append("## Federation\n\n");
        card.append("- Federation: ")
                .append(federation.name())
                .append(" (`")
                .append(federation.id())
                .append("`)\n");
        card.append("- Rounds: ").append(version.round()).append('\n');
        card.append("- Version: ").append(version.version());
        if (version.parentVersion() != null) {
            card.append(", aggregated from version ").append(version.parentVersion());
        }
        card.append('\n');
        card.append("- Participating clients in round ")
                .append(version.round())
                .append(": ")
                .append(metrics.clients() == null ? "not reported" : metrics.clients())
                .append('\n');
        card.append("- Client contributions over all rounds: ")
                .append(contributions)
                .append('\n');
        card.append("- Aggregation strategy: ").append(version.strategy());
        if (peft.loraMode() != null) {
            card.append(" (LoRA mode ").append(peft.loraMode()).append(')');
        }
        card.append('\n');
        if (peft.method() == AdapterMethod.LORA) {
            card.append("- LoRA: r = ")
                    .append(peft.rank())
                    .append(", alpha = ")
                    .append(number(peft.alpha()))
                    .append(", dropout = ")
                    .append(number(peft.dropout()))
                    .append(peft.rsLora() ? ", rank-stabilised" : "")
                    .append(", target modules ")
                    .append(String.join(", ", peft.targetModules()))
                    .append('\n');
        } else {
            card.append("- Prompt tuning: ").append(peft.numVirtualTokens()).append(" virtual tokens\n");
        }
        card.append('\n');

        card.append("## Metrics\n\n");
        Map<String, Double> byName = metrics.byName();
        if (byName.isEmpty()) {
            card.append("No metrics were reported for this version.\n");
        } else {
            card.append("| metric | value |\n|---|---|\n");
            byName.forEach((name, value) -> card.append("| ")
                    .append(name)
                    .append(" | ")
                    .append(number(value))
                    .append(" |\n"));
        }
        card.append('\n');

        card.append("## Privacy\n\n");
        PrivacySettings privacy = federation.privacy();
        if (privacy.differentiallyPrivate()) {
            card.append("- Differential privacy: user-level DP-FedAvg\n");
            card.append("- Clip norm S = ").append(number(privacy.clipNorm())).append('\n');
            card.append("- Noise multiplier z = ")
                    .append(number(privacy.noiseMultiplier()))
                    .append('\n');
            card.append("- δ = ").append(number(privacy.delta())).append('\n');
            card.append("- ε spent up to this version: ")
                    .append(metrics.epsilon() == null ? "not reported" : number(metrics.epsilon()))
                    .append('\n');
        } else {
            card.append("- Differential privacy: off. Raw data never left the participants, but the adapter")
                    .append(" carries no formal privacy guarantee.\n");
        }
        card.append('\n');

        card.append("## Use\n\n");
        card.append("```python\nfrom transformers import AutoModelForCausalLM\nfrom peft import PeftModel\n\n");
        card.append("base = AutoModelForCausalLM.from_pretrained(\"")
                .append(baseModelPath(version, baseModel))
                .append("\")\n");
        card.append("model = PeftModel.from_pretrained(base, \"path/to/this/folder\")\n```\n\n");

        card.append("## Provenance\n\n");
        card.append("- `adapter_model.safetensors` SHA-256: `")
                .append(version.sha256())
                .append("`\n");
        card.append("- Size: ").append(version.sizeBytes()).append(" bytes\n");
        card.append("- Registered: ")
                .append(version.createdAt())
                .append(" by ")
                .append(version.createdBy())
                .append('\n');
        return card.toString();
    }

    private static String number(Double value) {
        if (value == null) {
            return "—";
        }
        if (value == Math.rint(value) && Math.abs(value) < 1e15) {
            return Long.toString(value.longValue());
        }
        return String.format(Locale.ROOT, "%.6g", value);
    }

    private static String yaml(String value) {
        return "\"" + value.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }

    /** Lets the zip finish its central directory without closing the response stream under it. */
    private static final class NonClosing extends java.io.FilterOutputStream {
        NonClosing(OutputStream out) {
            super(out);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
        }

        @Override
        public void close() throws IOException {
            flush();
        }
    }
}
