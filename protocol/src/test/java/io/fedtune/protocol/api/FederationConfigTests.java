package io.fedtune.protocol.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import jakarta.validation.ConstraintViolation;
import jakarta.validation.Validation;
import jakarta.validation.Validator;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.json.JsonMapper;

class FederationConfigTests {

    private static final Validator validator =
            Validation.buildDefaultValidatorFactory().getValidator();
    private static final JsonMapper json = JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .build();

    static FederationConfig valid() {
        return new FederationConfig(
                "demo",
                null,
                new BaseModelSpec("tiny-llama", new ModelDims(Architecture.LLAMA, 64, 128, 2, 4, 2, null)),
                new PeftSpec(PeftMethod.LORA, 8, 16, 0.05, false, List.of("q_proj", "v_proj"), null, 0),
                new TrainingSpec(1, 0, 8, 1e-3, 0, 256, 0, 1.0),
                StrategySpec.fedAvg(LoraMode.FFA),
                new ClientSelection(2, 0.5, 10),
                new RoundPolicy(3, Duration.ofMinutes(10), null, 0),
                null,
                null,
                null,
                42);
    }

    private static Set<String> violations(Object value) {
        return validator.validate(value).stream()
                .map(ConstraintViolation::getPropertyPath)
                .map(Object::toString)
                .collect(java.util.stream.Collectors.toSet());
    }

    @Test
    void aCompleteConfigIsValidAndGetsDefaultsForOptionalParts() {
        FederationConfig config = valid();
        assertThat(violations(config)).isEmpty();
        assertThat(config.privacy().mode()).isEqualTo(PrivacyMode.NONE);
        assertThat(config.codec().upload()).isEqualTo(UpdateCodec.F32);
        assertThat(config.bounds().normPolicy()).isEqualTo(NormPolicy.REJECT);
        assertThat(config.rounds().onFailure()).isEqualTo(FailurePolicy.FAIL_FEDERATION);
    }

    @Test
    void eachKindOfInvalidConfigNamesTheOffendingField() {
        Map<String, UnaryOperator<FederationConfig>> breakages = Map.of(
                "peft.rank",
                c -> with(c, new PeftSpec(PeftMethod.LORA, 0, 16, 0, false, List.of("q_proj"), null, 0)),
                "clients.minNotAboveMax",
                c -> withClients(c, new ClientSelection(5, 0.5, 2)),
                "rounds.deadlineReasonable",
                c -> withRounds(c, new RoundPolicy(3, Duration.ofMillis(10), null, 0)),
                "name",
                c -> new FederationConfig(
                        "no spaces allowed",
                        null,
                        c.baseModel(),
                        c.peft(),
                        c.training(),
                        c.strategy(),
                        c.clients(),
                        c.rounds(),
                        null,
                        null,
                        null,
                        1),
                "strategyCompatibleWithLoraMode",
                c -> withStrategy(c, new StrategySpec(StrategyName.FEDADAM, LoraMode.EXACT, 0, 0, 0, 0, 0, 0, 0, 0, 0)),
                "krumFeasible",
                c -> withStrategy(c, new StrategySpec(StrategyName.KRUM, LoraMode.FFA, 0, 0, 0, 0, 0, 0, 1, 0, 0)),
                "moduleLayoutKnown",
                c -> new FederationConfig(
                        c.name(),
                        null,
                        new BaseModelSpec("m", null),
                        c.peft(),
                        c.training(),
                        c.strategy(),
                        c.clients(),
                        c.rounds(),
                        null,
                        null,
                        null,
                        1),
                "privacy.complete",
                c -> new FederationConfig(
                        c.name(),
                        null,
                        c.baseModel(),
                        c.peft(),
                        c.training(),
                        c.strategy(),
                        c.clients(),
                        c.rounds(),
                        new PrivacySpec(PrivacyMode.DP_FEDAVG, 0, 1, 1e-5),
                        null,
                        null,
                        1));
        breakages.forEach((path, breakage) ->
                assertThat(violations(breakage.apply(valid()))).as(path).contains(path));
    }

    @Test
    void configTravelsAsJsonWithLowerCaseEnumsAndIsoDurations() {
        String text = json.writeValueAsString(valid());
        assertThat(text)
                .contains("\"loraMode\":\"ffa\"")
                .contains("\"name\":\"fedavg\"")
                .contains("\"deadline\":\"PT10M\"")
                .contains("\"architecture\":\"llama\"")
                .doesNotContain("moduleLayoutKnown");
        assertThat(json.readValue(text, FederationConfig.class)).isEqualTo(valid());
    }

    @Test
    void unknownFieldsAndUnknownStrategiesAreRejected() {
        String text = json.writeValueAsString(valid());
        assertThatThrownBy(() -> json.readValue(text.replaceFirst("\\{", "{\"surprise\":1,"), FederationConfig.class))
                .hasMessageContaining("surprise");
        assertThatThrownBy(() -> json.readValue(text.replace("\"fedavg\"", "\"fedmagic\""), FederationConfig.class))
                .hasMessageContaining("fedmagic");
    }

    @Test
    void sampleSizeFollowsFractionWithinMinAndMax() {
        ClientSelection selection = new ClientSelection(2, 0.5, 5);
        assertThat(selection.sampleSize(1)).isZero();
        assertThat(selection.sampleSize(2)).isEqualTo(2);
        assertThat(selection.sampleSize(7)).isEqualTo(4);
        assertThat(selection.sampleSize(100)).isEqualTo(5);
    }

    @Test
    void requestRecordsCarryTheirConstraints() {
        assertThat(violations(new UpdateMetadata(0, "xyz", null, -1, Map.of("bad key", 1.0), 0)))
                .contains("exampleCount", "sha256", "codec", "baseVersion");
        assertThat(violations(new CreateEnrollmentTokenRequest(Duration.ofSeconds(5), 0, null)))
                .contains("expiryReasonable", "maxUses");
        assertThat(violations(new EnrollmentRequest("", "a b", null))).contains("token", "name");
        assertThat(violations(new FailureReport(null, null))).contains("reason");
    }

    private static FederationConfig with(FederationConfig c, PeftSpec peft) {
        return new FederationConfig(
                c.name(),
                c.description(),
                c.baseModel(),
                peft,
                c.training(),
                c.strategy(),
                c.clients(),
                c.rounds(),
                c.privacy(),
                c.codec(),
                c.bounds(),
                c.seed());
    }

    private static FederationConfig withClients(FederationConfig c, ClientSelection clients) {
        return new FederationConfig(
                c.name(),
                c.description(),
                c.baseModel(),
                c.peft(),
                c.training(),
                c.strategy(),
                clients,
                c.rounds(),
                c.privacy(),
                c.codec(),
                c.bounds(),
                c.seed());
    }

    private static FederationConfig withRounds(FederationConfig c, RoundPolicy rounds) {
        return new FederationConfig(
                c.name(),
                c.description(),
                c.baseModel(),
                c.peft(),
                c.training(),
                c.strategy(),
                c.clients(),
                rounds,
                c.privacy(),
                c.codec(),
                c.bounds(),
                c.seed());
    }

    private static FederationConfig withStrategy(FederationConfig c, StrategySpec strategy) {
        return new FederationConfig(
                c.name(),
                c.description(),
                c.baseModel(),
                c.peft(),
                c.training(),
                strategy,
                c.clients(),
                c.rounds(),
                c.privacy(),
                c.codec(),
                c.bounds(),
                c.seed());
    }
}
