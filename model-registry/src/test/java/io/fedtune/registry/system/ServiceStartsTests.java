package io.fedtune.registry.system;

import static org.assertj.core.api.Assertions.assertThat;

import io.fedtune.registry.support.TestHome;
import io.fedtune.testsupport.ServiceChecks;
import io.fedtune.testsupport.ServiceContractTests;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class ServiceStartsTests extends ServiceContractTests {

    @Override
    protected String schema() {
        return "registry";
    }

    @Override
    protected String firstTable() {
        return "base_model";
    }

    private static final String HOME = TestHome.fresh("starts").toString();

    @DynamicPropertySource
    static void home(DynamicPropertyRegistry registry) {
        registry.add("fedtune.home", () -> HOME);
    }

    @Test
    void openApiDescribesTheModelAndAdapterEndpoints() {
        HttpResponse<String> docs = ServiceChecks.get(baseUrl() + "/v3/api-docs");

        assertThat(docs.statusCode()).isEqualTo(200);
        assertThat(docs.body())
                .contains("/api/v1/models/{model}/archive")
                .contains("/api/v1/adapters/{federationId}/versions")
                .contains("/api/v1/adapters/{federationId}/versions/{version}/peft.zip")
                .contains("/api/v1/adapters/{federationId}/versions/{version}/adapter.safetensors")
                .contains("/api/v1/adapters/audit");
    }

    @Test
    void theRegistryPublishesItsStorageMetrics() {
        String scrape = ServiceChecks.get(baseUrl() + "/actuator/prometheus").body();

        assertThat(scrape)
                .contains("fedtune_registry_adapter_versions{state=\"available\"}")
                .contains("fedtune_registry_stored_bytes");
    }
}
