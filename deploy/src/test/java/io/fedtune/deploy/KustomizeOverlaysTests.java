package io.fedtune.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.networking.v1.Ingress;
import io.fabric8.kubernetes.api.model.networking.v1.IngressRule;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyIngressRule;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeer;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Renders every Kustomize overlay with the real kustomize, parses each manifest strictly into the Kubernetes model,
 * and checks what an operator relies on: probes on the actuator groups, resources, hardened pods, one Ingress for the
 * gateway only, disruption budgets, autoscalers, network policies, and secrets referenced but never written down.
 */
class KustomizeOverlaysTests {

    static final List<String> OVERLAYS =
            List.of("k8s/overlays/dev", "k8s/overlays/prod", "k8s/overlays/prod-internal-tls", "k8s/agent");
    static final Set<String> PLATFORM = Set.of("api-gateway", "aggregator", "model-registry");
    static final Pattern SECRET_NAME = Pattern.compile(".*(PASSWORD|SECRET|ACCESSKEY|TOKEN|CREDENTIAL).*");

    static final Map<String, List<HasMetadata>> rendered = new LinkedHashMap<>();

    @BeforeAll
    static void renderEveryOverlay() {
        for (String overlay : OVERLAYS) {
            rendered.put(overlay, StrictManifests.parse(overlay, Repository.run(Repository.kustomize(overlay))));
        }
    }

    static <T extends HasMetadata> List<T> all(String overlay, Class<T> type) {
        return rendered.get(overlay).stream()
                .filter(type::isInstance)
                .map(type::cast)
                .toList();
    }

    static <T extends HasMetadata> Stream<T> everywhere(Class<T> type) {
        return OVERLAYS.stream().flatMap(overlay -> all(overlay, type).stream());
    }

    static Deployment deployment(String overlay, String name) {
        return all(overlay, Deployment.class).stream()
                .filter(d -> d.getMetadata().getName().equals(name))
                .findFirst()
                .orElseThrow(() -> new AssertionError(overlay + " has no Deployment " + name));
    }

    @Test
    void everyOverlayRendersIntoKnownKindsWithoutUnknownFields() {
        assertThat(rendered.keySet()).containsExactlyElementsOf(OVERLAYS);
        for (String overlay : List.of("k8s/overlays/dev", "k8s/overlays/prod")) {
            assertThat(all(overlay, Deployment.class))
                    .extracting(d -> d.getMetadata().getName())
                    .as(overlay)
                    .containsExactlyInAnyOrderElementsOf(PLATFORM);
        }
    }

    @Test
    void platformServicesProbeTheActuatorGroupsAndDeclareRequestsAndLimits() {
        for (String overlay : List.of("k8s/overlays/dev", "k8s/overlays/prod")) {
            for (String name : PLATFORM) {
                Container container = deployment(overlay, name)
                        .getSpec()
                        .getTemplate()
                        .getSpec()
                        .getContainers()
                        .get(0);
                String where = overlay + " " + name;
                assertThat(pathOf(container.getLivenessProbe())).as(where).isEqualTo("/actuator/health/liveness");
                assertThat(pathOf(container.getReadinessProbe())).as(where).isEqualTo("/actuator/health/readiness");
                assertThat(pathOf(container.getStartupProbe())).as(where).isEqualTo("/actuator/health/liveness");
                assertThat(container.getResources().getRequests()).as(where).containsKeys("cpu", "memory");
                assertThat(container.getResources().getLimits()).as(where).containsKeys("cpu", "memory");
            }
        }
    }

    private static String pathOf(Probe probe) {
        return probe == null || probe.getHttpGet() == null
                ? null
                : probe.getHttpGet().getPath();
    }

    @Test
    void everyWorkloadRunsAsNonRootOnAReadOnlyRootWithoutCapabilities() {
        List<Map.Entry<String, PodSpec>> pods = Stream.concat(
                        Stream.concat(
                                everywhere(Deployment.class)
                                        .map(d -> Map.entry(
                                                d.getMetadata().getName(),
                                                d.getSpec().getTemplate().getSpec())),
                                everywhere(StatefulSet.class)
                                        .map(s -> Map.entry(
                                                s.getMetadata().getName(),
                                                s.getSpec().getTemplate().getSpec()))),
                        everywhere(Job.class)
                                .map(j -> Map.entry(
                                        j.getMetadata().getName(),
                                        j.getSpec().getTemplate().getSpec())))
                .toList();
        assertThat(pods).hasSizeGreaterThanOrEqualTo(PLATFORM.size() * 3 + 1 + 3);
        for (Map.Entry<String, PodSpec> pod : pods) {
            PodSpec spec = pod.getValue();
            assertThat(spec.getSecurityContext().getRunAsNonRoot())
                    .as(pod.getKey())
                    .isTrue();
            assertThat(spec.getSecurityContext().getRunAsUser())
                    .as(pod.getKey())
                    .isPositive();
            assertThat(spec.getAutomountServiceAccountToken()).as(pod.getKey()).isFalse();
            for (Container container : spec.getContainers()) {
                String where = pod.getKey() + "/" + container.getName();
                assertThat(container.getSecurityContext().getReadOnlyRootFilesystem())
                        .as(where)
                        .isTrue();
                assertThat(container.getSecurityContext().getAllowPrivilegeEscalation())
                        .as(where)
                        .isFalse();
                assertThat(container.getSecurityContext().getCapabilities().getDrop())
                        .as(where)
                        .contains("ALL");
                assertThat(container.getImage()).as(where).matches(".+:[^:/]+").doesNotEndWith(":latest");
                assertThat(container.getResources().getLimits()).as(where).containsKeys("cpu", "memory");
            }
        }
    }

    @Test
    void onlyTheGatewayIsExposedAndOnlyThroughOneIngress() {
        for (String overlay : List.of("k8s/overlays/dev", "k8s/overlays/prod")) {
            List<Ingress> ingresses = all(overlay, Ingress.class);
            assertThat(ingresses).as(overlay).hasSize(1);
            for (IngressRule rule : ingresses.get(0).getSpec().getRules()) {
                rule.getHttp()
                        .getPaths()
                        .forEach(path -> assertThat(
                                        path.getBackend().getService().getName())
                                .isEqualTo("gateway"));
            }
            for (Service service : all(overlay, Service.class)) {
                // no type is ClusterIP
                assertThat(service.getSpec().getType())
                        .as(service.getMetadata().getName())
                        .isIn(null, "ClusterIP");
            }
        }
        assertThat(all("k8s/agent", Ingress.class)).isEmpty();
        assertThat(all("k8s/agent", Service.class)).isEmpty();
    }

    @Test
    void everyPlatformServiceHasADisruptionBudgetAndTheGatewayAndAggregatorAutoscale() {
        for (String overlay : List.of("k8s/overlays/dev", "k8s/overlays/prod")) {
            Map<String, PodDisruptionBudget> budgets = new LinkedHashMap<>();
            all(overlay, PodDisruptionBudget.class)
                    .forEach(pdb -> budgets.put(
                            pdb.getSpec().getSelector().getMatchLabels().get("app.kubernetes.io/name"), pdb));
            assertThat(budgets.keySet()).as(overlay).containsAll(PLATFORM);

            assertThat(all(overlay, HorizontalPodAutoscaler.class))
                    .extracting(hpa -> hpa.getSpec().getScaleTargetRef().getName())
                    .as(overlay)
                    .containsExactlyInAnyOrder("api-gateway", "aggregator");
            for (HorizontalPodAutoscaler hpa : all(overlay, HorizontalPodAutoscaler.class)) {
                assertThat(hpa.getSpec().getMaxReplicas())
                        .isGreaterThan(hpa.getSpec().getMinReplicas());
                assertThat(deployment(overlay, hpa.getSpec().getScaleTargetRef().getName())
                                .getSpec()
                                .getReplicas())
                        .as("replicas left to the autoscaler")
                        .isNull();
            }
        }
        assertThat(all("k8s/overlays/prod", HorizontalPodAutoscaler.class))
                .allSatisfy(hpa -> assertThat(hpa.getSpec().getMinReplicas()).isGreaterThanOrEqualTo(2));
    }

    @Test
    void networkPoliciesLetTrafficFromOutsideReachOnlyTheGateway() {
        for (String overlay : List.of("k8s/overlays/dev", "k8s/overlays/prod")) {
            List<NetworkPolicy> policies = all(overlay, NetworkPolicy.class);
            assertThat(policies).as(overlay + ": a default deny").anySatisfy(policy -> {
                assertThat(policy.getSpec().getPodSelector().getMatchLabels()).isNullOrEmpty();
                assertThat(policy.getSpec().getPodSelector().getMatchExpressions())
                        .isNullOrEmpty();
                assertThat(policy.getSpec().getPolicyTypes()).contains("Ingress");
                assertThat(policy.getSpec().getIngress()).isNullOrEmpty();
            });
            for (NetworkPolicy policy : policies) {
                for (NetworkPolicyIngressRule rule : policy.getSpec().getIngress()) {
                    boolean fromOutside = rule.getFrom() == null
                            || rule.getFrom().isEmpty()
                            || rule.getFrom().stream().anyMatch(KustomizeOverlaysTests::outsideNamespace);
                    if (fromOutside) {
                        assertThat(policy.getSpec().getPodSelector().getMatchLabels())
                                .as(overlay + " " + policy.getMetadata().getName() + " admits outside traffic")
                                .containsEntry("app.kubernetes.io/component", "gateway");
                    } else {
                        for (NetworkPolicyPeer peer : rule.getFrom()) {
                            assertThat(peer.getPodSelector()
                                            .getMatchExpressions()
                                            .get(0)
                                            .getValues())
                                    .as(overlay + " " + policy.getMetadata().getName())
                                    .isSubsetOf("gateway", "aggregator", "registry", "bucket-setup");
                        }
                    }
                }
            }
            assertThat(policies)
                    .as(overlay + ": the services accept the gateway and each other")
                    .anySatisfy(policy -> assertThat(
                                    policy.getSpec().getPodSelector().getMatchExpressions())
                            .singleElement()
                            .satisfies(selector -> assertThat(selector.getValues())
                                    .containsExactlyInAnyOrder("aggregator", "registry")));
        }
    }

    private static boolean outsideNamespace(NetworkPolicyPeer peer) {
        return peer.getNamespaceSelector() != null || peer.getIpBlock() != null || peer.getPodSelector() == null;
    }

    @Test
    void secretsAreReferencedByNameAndNeverWrittenIntoProduction() {
        assertThat(all("k8s/overlays/prod", Secret.class)).isEmpty();
        assertThat(all("k8s/overlays/prod-internal-tls", Secret.class)).isEmpty();
        assertThat(all("k8s/agent", Secret.class)).isEmpty();
        for (String overlay : OVERLAYS) {
            for (ConfigMap config : all(overlay, ConfigMap.class)) {
                assertThat(config.getData().keySet())
                        .as(overlay + " ConfigMap " + config.getMetadata().getName())
                        .noneMatch(key -> SECRET_NAME.matcher(key).matches());
            }
            everywhereIn(overlay).forEach(container -> {
                for (EnvVar env : Objects.requireNonNullElse(container.getEnv(), List.<EnvVar>of())) {
                    if (SECRET_NAME.matcher(env.getName()).matches()) {
                        assertThat(env.getValue())
                                .as(overlay + " " + env.getName())
                                .isNull();
                        assertThat(env.getValueFrom().getSecretKeyRef())
                                .as(overlay + " " + env.getName())
                                .isNotNull();
                    }
                }
            });
        }
        for (String name : PLATFORM) {
            Container container = deployment("k8s/overlays/prod", name)
                    .getSpec()
                    .getTemplate()
                    .getSpec()
                    .getContainers()
                    .get(0);
            assertThat(container.getEnv()).as(name).anySatisfy(env -> {
                assertThat(env.getName()).isEqualTo("SPRING_DATASOURCE_PASSWORD");
                assertThat(env.getValueFrom().getSecretKeyRef().getName()).isEqualTo("fedtune-database");
            });
        }
    }

    private static Stream<Container> everywhereIn(String overlay) {
        return Stream.of(
                        all(overlay, Deployment.class).stream()
                                .map(d -> d.getSpec().getTemplate().getSpec()),
                        all(overlay, StatefulSet.class).stream()
                                .map(s -> s.getSpec().getTemplate().getSpec()),
                        all(overlay, Job.class).stream()
                                .map(j -> j.getSpec().getTemplate().getSpec()))
                .flatMap(s -> s)
                .flatMap(spec -> spec.getContainers().stream());
    }

    @Test
    void devRunsPostgresAndMinioInTheClusterAndProdUsesExternalStoresAndOidc() {
        assertThat(all("k8s/overlays/dev", StatefulSet.class))
                .extracting(s -> s.getMetadata().getName())
                .containsExactlyInAnyOrder("postgres", "minio");
        assertThat(all("k8s/overlays/prod", StatefulSet.class)).isEmpty();

        Map<String, String> prod = new LinkedHashMap<>();
        all("k8s/overlays/prod", ConfigMap.class).forEach(config -> prod.putAll(config.getData()));
        assertThat(prod.get("SPRING_DATASOURCE_URL"))
                .contains("sslmode=verify-full")
                .doesNotContain("//postgres:");
        assertThat(prod.get("FEDTUNE_SECURITY_OIDC_ISSUER_URI")).startsWith("https://");
        assertThat(prod.get("FEDTUNE_SECURITY_ISSUER_URI")).startsWith("https://");
        assertThat(prod).doesNotContainKey("FEDTUNE_REGISTRY_BLOBS_S3_ENDPOINT");

        Ingress ingress = all("k8s/overlays/prod", Ingress.class).get(0);
        assertThat(ingress.getSpec().getTls()).singleElement().satisfies(tls -> {
            assertThat(tls.getSecretName()).isEqualTo("fedtune-gateway-tls");
            assertThat(tls.getHosts())
                    .containsExactly(ingress.getSpec().getRules().get(0).getHost());
        });
    }

    @Test
    void withInternalTlsEveryHopBetweenServicesIsHttps() {
        String overlay = "k8s/overlays/prod-internal-tls";
        Map<String, String> config = new LinkedHashMap<>();
        all(overlay, ConfigMap.class).forEach(map -> config.putAll(map.getData()));
        assertThat(config.get("FEDTUNE_GATEWAY_AGGREGATOR_URI")).startsWith("https://");
        assertThat(config.get("FEDTUNE_GATEWAY_REGISTRY_URI")).startsWith("https://");
        assertThat(config.get("FEDTUNE_REGISTRY_URL")).startsWith("https://");
        assertThat(config.get("FEDTUNE_SECURITY_JWK_SET_URI")).startsWith("https://");
        for (String name : List.of("aggregator", "model-registry")) {
            Container container = deployment(overlay, name)
                    .getSpec()
                    .getTemplate()
                    .getSpec()
                    .getContainers()
                    .get(0);
            assertThat(container.getReadinessProbe().getHttpGet().getScheme()).isEqualTo("HTTPS");
            assertThat(container.getVolumeMounts())
                    .anySatisfy(mount -> assertThat(mount.getMountPath()).isEqualTo("/etc/fedtune/tls"));
        }
    }

    @Test
    void theAgentKeepsDataAndModelOnPersistentVolumesAndNeverTwoAtOnce() {
        Deployment agent = deployment("k8s/agent", "fedtune-agent");
        assertThat(agent.getSpec().getStrategy().getType()).isEqualTo("Recreate");
        assertThat(agent.getSpec().getReplicas()).isEqualTo(1);
        Set<String> claims =
                Set.copyOf(all("k8s/agent", io.fabric8.kubernetes.api.model.PersistentVolumeClaim.class).stream()
                        .map(pvc -> pvc.getMetadata().getName())
                        .toList());
        Map<String, String> claimOfVolume = new LinkedHashMap<>();
        for (Volume volume : agent.getSpec().getTemplate().getSpec().getVolumes()) {
            if (volume.getPersistentVolumeClaim() != null) {
                claimOfVolume.put(
                        volume.getName(), volume.getPersistentVolumeClaim().getClaimName());
            }
        }
        assertThat(claims).containsAll(claimOfVolume.values());
        Container container =
                agent.getSpec().getTemplate().getSpec().getContainers().get(0);
        assertThat(container.getVolumeMounts()).anySatisfy(mount -> {
            assertThat(mount.getMountPath()).isEqualTo("/data");
            assertThat(mount.getReadOnly()).isTrue();
            assertThat(claimOfVolume).containsKey(mount.getName());
        });
        assertThat(container.getVolumeMounts()).anySatisfy(mount -> {
            assertThat(mount.getMountPath()).isEqualTo("/var/lib/fedtune-agent");
            assertThat(claimOfVolume).containsKey(mount.getName());
        });
        assertThat(all("k8s/agent", NetworkPolicy.class))
                .singleElement()
                .satisfies(policy -> assertThat(policy.getSpec().getIngress()).isNullOrEmpty());
    }

    @Test
    void theAgentsArgumentsAreOnesTheRealAgentCliAccepts() {
        Container container = deployment("k8s/agent", "fedtune-agent")
                .getSpec()
                .getTemplate()
                .getSpec()
                .getContainers()
                .get(0);
        // Kubernetes expands $(VAR) from the container's environment before the agent sees its arguments.
        String[] args = container.getArgs().stream()
                .map(arg -> arg.replace("$(FEDTUNE_SERVER)", "https://fedtune.example.org")
                        .replace("$(FEDTUNE_AGENT_NAME)", "site-a"))
                .toArray(String[]::new);
        picocli.CommandLine.ParseResult run =
                io.fedtune.agent.AgentCli.commandLine().parseArgs(args).subcommand();
        assertThat(run.commandSpec().name()).isEqualTo("run");
        assertThat(run.hasMatchedOption("--enrollment-token-file")).isTrue();
        assertThat(run.hasMatchedOption("--model")).isTrue();
    }
}
