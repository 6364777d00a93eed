package io.fedtune.protocol.api.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import jakarta.validation.ConstraintViolation;
import jakarta.validation.Validation;
import jakarta.validation.Validator;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.exc.UnrecognizedPropertyException;
import tools.jackson.databind.json.JsonMapper;

class RegistryRecordsTests {

    private static final Validator validator =
            Validation.buildDefaultValidatorFactory().getValidator();
    private static final JsonMapper json = JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .build();

    private static final AdapterPeftConfig LORA =
            new AdapterPeftConfig(AdapterMethod.LORA, 8, 16, 0.05, false, List.of("q_proj", "v_proj"), 0, "ffa");

    private static AdapterVersionRegistration registration(int version, Integer parent, AdapterPeftConfig peft) {
        return new AdapterVersionRegistration(
                version,
                version,
                parent,
                "demo",
                "tiny-llama",
                peft,
                "fedavg",
                null,
                new AdapterMetrics(1.2, 1.4, 3, 300L, null, null, Map.of("holdout_accuracy", 0.5)),
                "ab".repeat(32),
                1234L);
    }

    private static Set<String> violations(Object value) {
        return validator.validate(value).stream()
                .map(ConstraintViolation::getPropertyPath)
                .map(Object::toString)
                .collect(Collectors.toSet());
    }

    @Test
    void aCompleteRegistrationIsValidAndTravelsAsJson() {
        AdapterVersionRegistration registration = registration(3, 2, LORA);

        assertThat(violations(registration)).isEmpty();
        assertThat(registration.privacy()).isEqualTo(PrivacySettings.none());
        String text = json.writeValueAsString(registration);
        assertThat(text)
                .contains("\"method\":\"lora\"")
                .doesNotContain("complete")
                .doesNotContain("finite");
        assertThat(json.readValue(text, AdapterVersionRegistration.class)).isEqualTo(registration);
    }

    @Test
    void eachKindOfInvalidRegistrationNamesTheOffendingField() {
        assertThat(violations(registration(2, 2, LORA))).containsExactly("parentOlder");
        assertThat(violations(registration(-1, null, LORA))).contains("version");
        assertThat(violations(registration(
                        1, 0, new AdapterPeftConfig(AdapterMethod.LORA, 0, 16, 0, false, List.of(), 0, null))))
                .containsExactly("peft.complete");
        assertThat(violations(registration(
                        1, 0, new AdapterPeftConfig(AdapterMethod.PROMPT_TUNING, 0, 0, 0, false, null, 0, null))))
                .containsExactly("peft.complete");
        assertThat(violations(new AdapterVersionRegistration(
                        0,
                        0,
                        null,
                        " ",
                        "m",
                        LORA,
                        "Fed Avg",
                        new PrivacySettings("dp_fedavg", null, null, null),
                        new AdapterMetrics(null, null, -1, null, null, null, null),
                        "xyz",
                        -5L)))
                .contains("federationName", "strategy", "privacy.complete", "metrics.clients", "sha256", "sizeBytes");
    }

    @Test
    void unknownFieldsAreRejected() {
        assertThatThrownBy(() -> json.readValue("{\"name\":\"m\",\"surprise\":1}", BaseModelRegistration.class))
                .isInstanceOf(UnrecognizedPropertyException.class);
    }

    @Test
    void metricsByNameListTheStandardOnesThenTheExtraOnes() {
        AdapterMetrics metrics =
                new AdapterMetrics(1.0, null, 4, null, 2.5, null, Map.of("z_metric", 1.0, "a_metric", 2.0));

        assertThat(metrics.byName().keySet())
                .containsExactly("train_loss", "clients", "epsilon", "a_metric", "z_metric");
        assertThat(violations(new AdapterMetrics(Double.NaN, null, null, null, null, null, null)))
                .contains("finite");
    }

    @Test
    void theUploadBodyFramesTheMetadataBeforeTheAdapterBytes() {
        AdapterUploadBody body = AdapterUploadBody.of("{\"version\":1}".getBytes(StandardCharsets.UTF_8), 100);

        String head = new String(body.head(), StandardCharsets.UTF_8);
        assertThat(body.contentType()).isEqualTo("multipart/form-data; boundary=" + body.boundary());
        assertThat(head)
                .startsWith("--" + body.boundary() + "\r\n")
                .contains("name=\"metadata\"")
                .contains("{\"version\":1}\r\n--" + body.boundary() + "\r\n")
                .endsWith("filename=\"adapter_model.safetensors\"\r\nContent-Type: application/octet-stream\r\n\r\n");
        assertThat(new String(body.tail(), StandardCharsets.US_ASCII)).isEqualTo("\r\n--" + body.boundary() + "--\r\n");
        assertThat(body.length()).isEqualTo(body.head().length + 100 + body.tail().length);
    }
}
