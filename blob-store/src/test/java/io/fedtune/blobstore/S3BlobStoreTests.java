package io.fedtune.blobstore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.adobe.testing.s3mock.S3MockApplication;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URI;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/** The contract against a real S3-compatible server (Adobe's S3Mock) started in this JVM on a free port. */
class S3BlobStoreTests extends BlobStoreContractTests {

    @TempDir
    static java.nio.file.Path s3Root;

    private static S3MockApplication server;
    private static S3Client client;
    private S3BlobStore store;
    private String bucket;

    @BeforeAll
    static void startServer() {
        server = S3MockApplication.start(new java.util.HashMap<>(Map.of(
                S3MockApplication.PROP_HTTP_PORT,
                0,
                S3MockApplication.PROP_HTTPS_PORT,
                0,
                "com.adobe.testing.s3mock.store.root",
                s3Root.toString(),
                "com.adobe.testing.s3mock.store.retainFilesOnExit",
                false,
                S3MockApplication.PROP_SILENT,
                true,
                "spring.main.banner-mode",
                "off")));
        client = S3Client.builder()
                .endpointOverride(URI.create("http://127.0.0.1:" + server.getHttpPort()))
                .region(Region.US_EAST_1)
                .forcePathStyle(true)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("test", "test")))
                .build();
    }

    @AfterAll
    static void stopServer() {
        if (client != null) {
            client.close();
        }
        if (server != null) {
            server.stop();
        }
    }

    @BeforeEach
    void freshBucket() throws IOException {
        bucket = "fedtune-" + UUID.randomUUID().toString().substring(0, 8);
        store = new S3BlobStore(client, bucket, "blobs/", S3BlobStore.MIN_PART_SIZE);
        store.createBucketIfMissing();
    }

    @Override
    protected BlobStore store() {
        return store;
    }

    @Test
    void aRejectedMultipartUploadIsAbortedOnTheServer() {
        byte[] content = random(LARGE, 20);
        assertThatThrownBy(() -> store.put(
                        "aborted",
                        new ByteArrayInputStream(content),
                        PutOptions.defaults().withExpectedSha256("0".repeat(64))))
                .isInstanceOf(ChecksumMismatchException.class);

        assertThat(client.listMultipartUploads(b -> b.bucket(bucket)).uploads()).isEmpty();
        assertThat(client.listObjectsV2(b -> b.bucket(bucket)).contents()).isEmpty();
    }

    @Test
    void s3BlobsAreNoLocalFiles() throws IOException {
        store.put("remote", new ByteArrayInputStream(new byte[3]));
        assertThat(store.localFile("remote")).isEmpty();
    }

    @Test
    void keysLiveUnderTheStorePrefix() throws IOException {
        store.put("k", new ByteArrayInputStream(new byte[3]));
        assertThat(client.listObjectsV2(b -> b.bucket(bucket)).contents())
                .singleElement()
                .satisfies(object -> assertThat(object.key()).isEqualTo("blobs/k"));
    }

    @Test
    void createFromSettingsReachesTheSameServer() throws IOException {
        try (S3BlobStore fromSettings = S3BlobStore.create(new S3BlobStore.Settings(
                URI.create("http://127.0.0.1:" + server.getHttpPort()),
                null,
                bucket,
                "blobs/",
                "test",
                "test",
                true,
                0))) {
            fromSettings.put("via-settings", new ByteArrayInputStream(new byte[] {1, 2, 3}));
        }
        assertThat(store.size("via-settings")).hasValue(3);
    }
}
