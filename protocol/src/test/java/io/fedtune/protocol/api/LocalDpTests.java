package io.fedtune.protocol.api;

import static org.assertj.core.api.Assertions.assertThat;

import jakarta.validation.ConstraintViolation;
import jakarta.validation.Validation;
import jakarta.validation.Validator;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.json.JsonMapper;

class LocalDpTests {

    private static final Validator validator =
            Validation.buildDefaultValidatorFactory().getValidator();
    private static final JsonMapper json = JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .build();

    private static Set<String> violations(Object value) {
        return validator.validate(value).stream()
                .map(ConstraintViolation::getPropertyPath)
                .map(Object::toString)
                .collect(Collectors.toSet());
    }

    private static TaskView task(PrivacySpec privacy) {
        return new TaskView(
                UUID.randomUUID(),
                2,
                1,
                new AdapterView(UUID.randomUUID(), 1, 4, "ab".repeat(32), 100, "/x", null, Instant.EPOCH),
                new PeftSpec(PeftMethod.LORA, 4, 8, 0, false, List.of("q_proj"), null, 0),
                new TrainingSpec(1, 0, 4, 1e-3, 0, 64, 0, 0),
                LoraMode.FEDIT,
                CodecSpec.defaults(),
                Instant.parse("2026-01-01T00:00:00Z"),
                7,
                "/up",
                "/fail",
                privacy);
    }

    @Test
    void localDpNeedsAClipNormAndANoiseMultiplierButNoDelta() {
        assertThat(violations(new PrivacySpec(PrivacyMode.LOCAL_DP, 1.0, 0.5, 0)))
                .isEmpty();
        assertThat(violations(new PrivacySpec(PrivacyMode.LOCAL_DP, 0, 0.5, 0))).contains("complete");
        assertThat(violations(new PrivacySpec(PrivacyMode.LOCAL_DP, 1.0, 0, 0))).contains("complete");
    }

    @Test
    void aTaskCarriesThePrivacySpecAndOneWithoutItMeansNone() {
        TaskView task = task(new PrivacySpec(PrivacyMode.LOCAL_DP, 1.5, 0.8, 0));
        String text = json.writeValueAsString(task);
        assertThat(text).contains("\"mode\":\"local_dp\"");
        assertThat(json.readValue(text, TaskView.class)).isEqualTo(task);

        String older = text.replaceFirst(",\"privacy\":\\{[^}]*}", "");
        assertThat(older).doesNotContain("privacy");
        assertThat(json.readValue(older, TaskView.class).privacy()).isEqualTo(PrivacySpec.none());
    }

    @Test
    void updateMetadataSaysWhichLocalDpWasAppliedAndChecksIt() {
        UpdateMetadata metadata = new UpdateMetadata(
                10, "0".repeat(64), UpdateCodec.F16, 3, Map.of(), 5, new UpdateMetadata.LocalDp(1.0, 1.1));
        String text = json.writeValueAsString(metadata);
        assertThat(json.readValue(text, UpdateMetadata.class)).isEqualTo(metadata);
        assertThat(json.readValue(
                                "{\"exampleCount\":1,\"sha256\":\"" + "0".repeat(64)
                                        + "\",\"codec\":\"f32\",\"baseVersion\":0,\"trainingMillis\":0}",
                                UpdateMetadata.class)
                        .localDp())
                .isNull();
        assertThat(violations(new UpdateMetadata(
                        1, "0".repeat(64), UpdateCodec.F32, 0, Map.of(), 0, new UpdateMetadata.LocalDp(0, -1))))
                .contains("localDp.clipNorm", "localDp.noiseMultiplier");
    }
}
