package io.fedtune.registry.adapter;

import static org.assertj.core.api.Assertions.assertThat;

import io.fedtune.protocol.api.registry.AdapterMetrics;
import io.fedtune.registry.support.Adapters;
import io.fedtune.registry.support.RegistryHttpTests;
import io.fedtune.registry.support.TestHome;
import io.fedtune.testsupport.ServiceChecks;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.springframework.test.context.TestPropertySource;

/** The registry with an adapter size limit smaller than the test adapters (a context of its own). */
@TestPropertySource(properties = "fedtune.registry.blobs.max-adapter-size=2KB")
class AdapterSizeLimitTests extends RegistryHttpTests {

    @Test
    void anAdapterOverTheLimitIsRefusedAndNothingIsKept() throws IOException {
        UUID federation = UUID.randomUUID();
        Adapters.Built adapter = Adapters.lora(8, 4);
        assertThat(adapter.bytes().length).isGreaterThan(2048);

        HttpResponse<String> response = http().register(
                        tokens.service(),
                        federation,
                        Adapters.metadata(adapter, 0, null, AdapterMetrics.empty()),
                        adapter.bytes());

        ServiceChecks.assertProblem(response, 413);
        assertThat(response.body()).contains("urn:fedtune:problem:too-large");
        assertThat(jdbc.sql("SELECT count(*) FROM adapter_version WHERE federation_id = ?")
                        .param(federation)
                        .query(Long.class)
                        .single())
                .isZero();
        assertThat(jdbc.sql("SELECT count(*) FROM federation WHERE id = ?")
                        .param(federation)
                        .query(Long.class)
                        .single())
                .isZero();
        assertThat(blobs.list("adapters/" + federation)).isEmpty();
        assertThat(TestHome.files(blobDirectory().resolve(".tmp"))).isEmpty();
    }
}
