package io.fedtune.registry.adapter;

import static org.assertj.core.api.Assertions.assertThat;

import com.adobe.testing.s3mock.S3MockApplication;
import io.fedtune.blobstore.BlobStore;
import io.fedtune.blobstore.S3BlobStore;
import io.fedtune.protocol.api.registry.AdapterMetrics;
import io.fedtune.protocol.api.registry.AdapterVersionRegistration;
import io.fedtune.protocol.peft.PeftKeys;
import io.fedtune.protocol.safetensors.DType;
import io.fedtune.protocol.safetensors.SafetensorsWriter;
import io.fedtune.registry.support.Adapters;
import io.fedtune.registry.support.RegistryHttp;
import io.fedtune.registry.support.TestHome;
import io.fedtune.testsupport.ServiceChecks;
import io.fedtune.testsupport.TestTokens;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/** The registry on an S3-compatible bucket: Adobe's S3Mock, started in this JVM on a free port. */
@SpringBootTest(
        webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {"fedtune.registry.retention.enabled=false", "fedtune.registry.blobs.type=s3"})
class RegistryS3Tests {

    /** S3Mock is a Spring Boot application too: keep the registry's auto-configurations out of it. */
    private static final String EXCLUDED = String.join(
            ",",
            "io.fedtune.boot.security.FedtuneSecurityAutoConfiguration",
            "io.fedtune.boot.postgres.EmbeddedPostgresAutoConfiguration",
            "org.springframework.boot.security.autoconfigure.SecurityAutoConfiguration",
            "org.springframework.boot.security.autoconfigure.UserDetailsServiceAutoConfiguration",
            "org.springframework.boot.security.autoconfigure.web.servlet.ServletWebSecurityAutoConfiguration",
            "org.springframework.boot.security.autoconfigure.web.servlet.SecurityFilterAutoConfiguration",
            "org.springframework.boot.security.autoconfigure.actuate.web.servlet.ManagementWebSecurityAutoConfiguration",
            "org.springframework.boot.security.oauth2.server.resource.autoconfigure.servlet.OAuth2ResourceServerAutoConfiguration",
            "org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration",
            "org.springframework.boot.flyway.autoconfigure.FlywayAutoConfiguration");

    private static final java.nio.file.Path HOME = TestHome.fresh("s3-home");
    private static S3MockApplication s3;
    private static final TestTokens tokens = TestTokens.shared();

    @LocalServerPort
    private int port;

    @Autowired
    private BlobStore blobs;

    @DynamicPropertySource
    static void properties(DynamicPropertyRegistry registry) {
        TestTokens.register(registry);
        registry.add("fedtune.home", HOME::toString);
        registry.add("fedtune.registry.blobs.s3.endpoint", () -> "http://127.0.0.1:" + s3().getHttpPort());
        registry.add("fedtune.registry.blobs.s3.bucket", () -> "fedtune-registry");
        registry.add("fedtune.registry.blobs.s3.access-key", () -> "test");
        registry.add("fedtune.registry.blobs.s3.secret-key", () -> "test");
        registry.add("fedtune.registry.blobs.s3.part-size", () -> "5MB");
    }

    private static synchronized S3MockApplication s3() {
        if (s3 == null) {
            s3 = S3MockApplication.start(new HashMap<>(Map.of(
                    S3MockApplication.PROP_HTTP_PORT,
                    0,
                    S3MockApplication.PROP_HTTPS_PORT,
                    0,
                    "com.adobe.testing.s3mock.store.root",
                    TestHome.fresh("s3-store").toString(),
                    "com.adobe.testing.s3mock.store.retainFilesOnExit",
                    false,
                    S3MockApplication.PROP_SILENT,
                    true,
                    "spring.main.banner-mode",
                    "off",
                    "spring.autoconfigure.exclude",
                    EXCLUDED)));
        }
        return s3;
    }

    @AfterAll
    static void stopS3() {
        if (s3 != null) {
            s3.stop();
            s3 = null;
        }
    }

    private RegistryHttp http() {
        return new RegistryHttp(port);
    }

    @Test
    void theRegistryStoresInTheBucketAndServesRangesAndExportsFromIt() throws IOException {
        assertThat(blobs).isInstanceOf(S3BlobStore.class);
        UUID federation = UUID.randomUUID();
        // larger than one 5 MB part, so the bucket receives a multipart upload
        int columns = 200_000;
        float[] a = new float[4 * columns];
        Random random = new Random(3);
        for (int i = 0; i < a.length; i++) {
            a[i] = random.nextFloat();
        }
        Adapters.Built adapter = Adapters.build(
                new SafetensorsWriter()
                        .addFloats(
                                PeftKeys.loraA("model.layers.0.self_attn.q_proj"),
                                DType.F32,
                                new long[] {4, columns},
                                a)
                        .addFloats(
                                PeftKeys.loraB("model.layers.0.self_attn.q_proj"),
                                DType.F32,
                                new long[] {columns, 4},
                                a),
                Map.of());
        assertThat(adapter.bytes().length).isGreaterThan(5 << 20);

        HttpResponse<String> registered = http().register(
                        tokens.service(),
                        federation,
                        Adapters.metadata(adapter, 0, null, AdapterMetrics.empty()),
                        adapter.bytes());
        assertThat(registered.statusCode()).as(registered.body()).isEqualTo(201);
        assertThat(blobs.list("adapters/" + federation))
                .singleElement()
                .satisfies(entry -> assertThat(entry.size()).isEqualTo(adapter.bytes().length));

        String path = "/api/v1/adapters/" + federation + "/versions/0/adapter.safetensors";
        assertThat(http().getBytes(path, tokens.viewer()).body()).isEqualTo(adapter.bytes());
        HttpResponse<byte[]> range = http().getBytes(path, tokens.viewer(), "Range", "bytes=6000000-6000999");
        assertThat(range.statusCode()).isEqualTo(206);
        assertThat(range.body()).isEqualTo(Arrays.copyOfRange(adapter.bytes(), 6_000_000, 6_001_000));
        ServiceChecks.assertProblem(
                http().get(path, tokens.viewer(), "Range", "bytes=" + adapter.bytes().length + "-"), 416);

        byte[] zip = http().getBytes("/api/v1/adapters/" + federation + "/versions/0/peft.zip", tokens.viewer())
                .body();
        try (ZipInputStream in = new ZipInputStream(new ByteArrayInputStream(zip))) {
            for (ZipEntry entry; (entry = in.getNextEntry()) != null; ) {
                if (entry.getName().equals("adapter_model.safetensors")) {
                    assertThat(in.readAllBytes()).isEqualTo(adapter.bytes());
                    return;
                }
            }
        }
        throw new AssertionError("the export has no adapter_model.safetensors");
    }

    @Test
    void aWrongChecksumLeavesNothingInTheBucket() throws IOException {
        UUID federation = UUID.randomUUID();
        Adapters.Built adapter = Adapters.lora(8, 4);
        AdapterVersionRegistration lie = new AdapterVersionRegistration(
                0, 0, null, "demo", "tiny-llama", Adapters.loraConfig(4), "fedavg", null, null, "1".repeat(64), null);

        ServiceChecks.assertProblem(http().register(tokens.service(), federation, lie, adapter.bytes()), 400);

        assertThat(blobs.list("adapters/" + federation)).isEmpty();
        ServiceChecks.assertProblem(http().get("/api/v1/adapters/" + federation, tokens.viewer()), 404);
    }
}
