package io.fedtune.registry.support;

import io.fedtune.blobstore.BlobStore;
import io.fedtune.testsupport.TestTokens;
import java.nio.file.Path;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The registry on a random port with a filesystem blob store in a temporary directory, talked to over real HTTP with
 * real tokens. Test classes that extend it share one application context (and one fresh database).
 */
@SpringBootTest(
        webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {
            "fedtune.registry.retention.enabled=false",
            "fedtune.registry.blobs.max-archive-size=1MB",
            "spring.main.banner-mode=off"
        })
public abstract class RegistryHttpTests {

    private static final Path HOME = TestHome.fresh("http");

    protected static final TestTokens tokens = TestTokens.shared();

    @LocalServerPort
    private int port;

    @Autowired
    protected JdbcClient jdbc;

    @Autowired
    protected BlobStore blobs;

    @DynamicPropertySource
    static void registryProperties(DynamicPropertyRegistry registry) {
        TestTokens.register(registry);
        registry.add("fedtune.home", HOME::toString);
    }

    protected RegistryHttp http() {
        return new RegistryHttp(port);
    }

    /** Where this context keeps its blobs. */
    protected static Path blobDirectory() {
        return HOME.resolve("model-registry").resolve("blobs");
    }
}
