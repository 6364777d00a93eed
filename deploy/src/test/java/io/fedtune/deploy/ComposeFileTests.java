package io.fedtune.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Checks docker-compose.yml with a real compose implementation ({@code docker-compose config}, which needs no Docker
 * engine), then reads the configuration it resolved.
 */
class ComposeFileTests {

    static final Set<String> FEDTUNE = Set.of("registry", "aggregator", "gateway", "agent-north", "agent-south");

    static JsonNode services;
    static JsonNode config;

    @BeforeAll
    static void resolveWithTheComposeParser() throws Exception {
        Repository.run(Repository.compose("-f", "docker-compose.yml", "config", "-q"));
        String resolved = Repository.run(Repository.compose("-f", "docker-compose.yml", "config"));
        config = new ObjectMapper(new YAMLFactory()).readTree(resolved);
        services = config.get("services");
    }

    @Test
    void thePlatformItsStoresAndTwoAgentsAreAllThere() {
        List<String> names = new ArrayList<>();
        services.fieldNames().forEachRemaining(names::add);
        assertThat(names)
                .contains("postgres", "minio", "registry", "aggregator", "gateway", "agent-north", "agent-south");
    }

    @Test
    void onlyTheGatewayIsPublished() {
        services.fields().forEachRemaining(service -> {
            if (service.getKey().equals("gateway")) {
                assertThat(service.getValue().get("ports")).hasSize(1);
            } else {
                assertThat(service.getValue().has("ports")).as(service.getKey()).isFalse();
            }
        });
        assertThat(config.at("/networks/backend/internal").asBoolean()).isTrue();
        for (String store : List.of("postgres", "minio", "registry", "aggregator")) {
            assertThat(services.at("/" + store + "/networks").has("edge"))
                    .as(store)
                    .isFalse();
        }
    }

    @Test
    void fedtuneContainersAreHardenedAndStartInOrder() {
        for (String name : FEDTUNE) {
            JsonNode service = services.get(name);
            assertThat(service.get("read_only").asBoolean()).as(name).isTrue();
            assertThat(service.get("cap_drop").toString()).as(name).contains("ALL");
            assertThat(service.get("security_opt").toString()).as(name).contains("no-new-privileges:true");
            assertThat(service.at("/build/dockerfile").asText()).as(name).startsWith("deploy/docker/");
            assertThat(Files.exists(Repository.root()
                            .resolve(service.at("/build/dockerfile").asText())))
                    .as(name)
                    .isTrue();
            service.get("depends_on")
                    .fields()
                    .forEachRemaining(dependency -> assertThat(
                                    dependency.getValue().get("condition").asText())
                            .as(name + " waits for " + dependency.getKey())
                            .isIn("service_healthy", "service_completed_successfully"));
        }
        for (String name : List.of("postgres", "minio", "registry", "aggregator", "gateway")) {
            assertThat(services.get(name).has("healthcheck")).as(name).isTrue();
        }
        assertThat(services.at("/gateway/healthcheck/test").toString()).contains("/actuator/health/readiness");
    }

    @Test
    void secretsComeFromFilesAndNeverFromTheEnvironment() {
        config.get("secrets")
                .fields()
                .forEachRemaining(secret -> assertThat(
                                Path.of(secret.getValue().get("file").asText()))
                        .as(secret.getKey())
                        .exists());
        services.fields().forEachRemaining(service -> {
            JsonNode environment = service.getValue().get("environment");
            if (environment != null) {
                environment
                        .fieldNames()
                        .forEachRemaining(variable -> assertThat(variable)
                                .as(service.getKey())
                                .doesNotMatch(".*(PASSWORD|SECRET|ACCESSKEY)(?!_FILE).*"));
            }
        });
        assertThat(services.at("/aggregator/secrets").toString()).contains("spring.datasource.password");
    }

    @Test
    void eachAgentTrainsOnItsOwnSampleData() {
        for (String agent : List.of("agent-north", "agent-south")) {
            JsonNode volumes = services.get(agent).get("volumes");
            String source = null;
            for (JsonNode volume : volumes) {
                if ("/data".equals(volume.get("target").asText())) {
                    source = volume.get("source").asText();
                    assertThat(volume.get("read_only").asBoolean()).as(agent).isTrue();
                }
            }
            assertThat(source).as(agent).isNotNull();
            assertThat(Path.of(source).resolve("train.jsonl")).isNotEmptyFile();
            assertThat(Path.of(source).resolve("holdout.jsonl")).isNotEmptyFile();
        }
        assertThat(services.at("/agent-north/volumes/0/source").asText())
                .isNotEqualTo(services.at("/agent-south/volumes/0/source").asText());
    }

    @Test
    void eachAgentCommandIsOneTheRealAgentCliAccepts() {
        for (String agent : List.of("agent-north", "agent-south")) {
            List<String> command = new java.util.ArrayList<>();
            services.get(agent).get("command").forEach(word -> command.add(word.asText()));
            picocli.CommandLine.ParseResult parsed =
                    io.fedtune.agent.AgentCli.commandLine().parseArgs(command.toArray(String[]::new));
            picocli.CommandLine.ParseResult run = parsed.subcommand();
            assertThat(run.commandSpec().name()).as(agent).isEqualTo("run");
            assertThat(run.hasMatchedOption("--enrollment-token-file"))
                    .as(agent)
                    .isTrue();
            assertThat(run.hasMatchedOption("--model")).as(agent).isTrue();
            assertThat(run.<Path>matchedOptionValue("--data", null)).as(agent).hasToString("/data/train.jsonl");
        }
    }
}
