package io.fedtune.registry.retention;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fedtune.blobstore.BlobEntry;
import io.fedtune.blobstore.BlobStore;
import io.fedtune.protocol.api.registry.AdapterLineage;
import io.fedtune.protocol.api.registry.AdapterMetrics;
import io.fedtune.protocol.api.registry.AdapterVersionView;
import io.fedtune.protocol.api.registry.RegistryAuditEntry;
import io.fedtune.protocol.api.registry.RetentionReport;
import io.fedtune.protocol.api.registry.TagAssignment;
import io.fedtune.registry.support.Adapters;
import io.fedtune.registry.support.RegistryHttp;
import io.fedtune.registry.support.TestHome;
import io.fedtune.testsupport.ServiceChecks;
import io.fedtune.testsupport.TestTokens;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.core.type.TypeReference;

/** Retention running in the background, as in production, with small settings: keep 2, orphans after 2 s. */
@SpringBootTest(
        webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {
            "fedtune.registry.retention.keep-last=2",
            "fedtune.registry.retention.interval=PT0.3S",
            "fedtune.registry.retention.initial-delay=PT0.3S",
            "fedtune.registry.retention.orphan-grace=PT2S"
        })
class RetentionTests {

    private static final Path HOME = TestHome.fresh("retention");
    private static final TestTokens tokens = TestTokens.shared();

    @LocalServerPort
    private int port;

    @Autowired
    private JdbcClient jdbc;

    @Autowired
    private BlobStore blobs;

    @DynamicPropertySource
    static void properties(DynamicPropertyRegistry registry) {
        TestTokens.register(registry);
        registry.add("fedtune.home", HOME::toString);
    }

    private RegistryHttp http() {
        return new RegistryHttp(port);
    }

    private void register(UUID federation, int version) {
        Adapters.Built adapter = Adapters.lora(version * 31L + federation.hashCode(), 4);
        HttpResponse<String> response = http().register(
                        tokens.service(),
                        federation,
                        Adapters.metadata(adapter, version, version == 0 ? null : version - 1, AdapterMetrics.empty()),
                        adapter.bytes());
        assertThat(response.statusCode()).as(response.body()).isEqualTo(201);
    }

    private String state(UUID federation, int version) {
        return RegistryHttp.JSON
                .readValue(
                        http().get("/api/v1/adapters/" + federation + "/versions/" + version, tokens.viewer())
                                .body(),
                        AdapterVersionView.class)
                .state();
    }

    @Test
    void theBackgroundPassKeepsTheNewestAndTheTaggedAndPrunesTheRestWithoutBreakingLineage() {
        double prunedBefore = prunedTotal();
        UUID federation = UUID.randomUUID();
        register(federation, 0);
        register(federation, 1);
        HttpResponse<String> tagged = http().putJson(
                        "/api/v1/adapters/" + federation + "/tags/production", tokens.admin(), new TagAssignment(1));
        assertThat(tagged.statusCode()).as(tagged.body()).isEqualTo(200);
        for (int version = 2; version <= 4; version++) {
            register(federation, version);
        }

        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
            assertThat(state(federation, 0)).isEqualTo("pruned");
            assertThat(state(federation, 2)).isEqualTo("pruned");
        });
        // the counter moves just after the row does
        await().atMost(Duration.ofSeconds(20))
                .untilAsserted(() -> assertThat(prunedTotal()).isGreaterThanOrEqualTo(prunedBefore + 2));
        assertThat(state(federation, 1)).isEqualTo("available");
        assertThat(state(federation, 3)).isEqualTo("available");
        assertThat(state(federation, 4)).isEqualTo("available");

        ServiceChecks.assertProblem(
                http().get("/api/v1/adapters/" + federation + "/versions/0/adapter.safetensors", tokens.viewer()), 410);
        ServiceChecks.assertProblem(
                http().putJson(
                                "/api/v1/adapters/" + federation + "/tags/revived",
                                tokens.admin(),
                                new TagAssignment(2)),
                409);
        AdapterLineage lineage = RegistryHttp.JSON.readValue(
                http().get("/api/v1/adapters/" + federation + "/versions/4/lineage", tokens.viewer())
                        .body(),
                AdapterLineage.class);
        assertThat(lineage.ancestors()).extracting(AdapterVersionView::version).containsExactly(3, 2, 1, 0);
        assertThat(lineage.ancestors().get(1).downloadPath()).isNull();
        assertThat(http().getBytes(
                                "/api/v1/adapters/" + federation + "/tags/production/adapter.safetensors",
                                tokens.viewer())
                        .statusCode())
                .isEqualTo(200);

        List<RegistryAuditEntry> audit = RegistryHttp.JSON.readValue(
                http().get("/api/v1/adapters/audit?limit=1000", tokens.admin()).body(), new TypeReference<>() {});
        assertThat(audit)
                .filteredOn(entry -> entry.action().equals("retention.prune")
                        && entry.target().startsWith("federation/" + federation))
                .extracting(RegistryAuditEntry::actor)
                .containsOnly("system")
                .hasSize(2);
        assertEveryRowHasItsBlobAndEveryBlobItsRow();
    }

    @Test
    void anOrphanBlobLeftByACrashIsRemovedOnceItIsOlderThanTheGracePeriod() throws IOException {
        String orphan = "adapters/" + UUID.randomUUID() + "/0-crashed.safetensors";
        blobs.put(orphan, new ByteArrayInputStream(new byte[1234]));

        await().atMost(Duration.ofSeconds(20)).until(() -> !blobs.exists(orphan));
        assertEveryRowHasItsBlobAndEveryBlobItsRow();
    }

    @Test
    void anAdminCanRunAPassOnDemandAndNobodyElseCan() {
        HttpResponse<String> response = http().post("/api/v1/adapters/retention", tokens.admin());

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        RetentionReport report = RegistryHttp.JSON.readValue(response.body(), RetentionReport.class);
        assertThat(report.prunedVersions()).isNotNegative();
        ServiceChecks.assertProblem(http().post("/api/v1/adapters/retention", tokens.viewer()), 403);
        ServiceChecks.assertProblem(http().post("/api/v1/adapters/retention", tokens.service()), 403);
    }

    /** {@code fedtune_registry_versions_pruned_total}, 0 while nothing was pruned (the counter is not scraped yet). */
    private double prunedTotal() {
        String series = "fedtune_registry_versions_pruned_total{kind=\"adapter\"}";
        return http().get("/actuator/prometheus", null)
                .body()
                .lines()
                .filter(line -> line.startsWith(series + " "))
                .mapToDouble(line -> Double.parseDouble(line.substring(series.length() + 1)))
                .findFirst()
                .orElse(0);
    }

    private void assertEveryRowHasItsBlobAndEveryBlobItsRow() {
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
            Set<String> referenced =
                    new HashSet<>(jdbc.sql("SELECT blob_key FROM adapter_version WHERE blob_key IS NOT NULL")
                            .query(String.class)
                            .list());
            Set<String> stored = new HashSet<>();
            for (BlobEntry entry : blobs.list("adapters/")) {
                stored.add(entry.key());
            }
            assertThat(stored).isEqualTo(referenced);
        });
    }
}
