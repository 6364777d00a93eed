package io.fedtune.aggregator.system;

import io.fedtune.testsupport.ServiceContractTests;
import org.springframework.boot.test.context.SpringBootTest;
import tools.jackson.databind.json.JsonMapper;

@SpringBootTest(
        webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = "fedtune.security.bootstrap-admin.secret=contract-secret")
class ServiceStartsTests extends ServiceContractTests {

    @Override
    protected String schema() {
        return "aggregator";
    }

    @Override
    protected String firstTable() {
        return "audit_log";
    }

    /** The aggregator issues its own tokens: the bootstrap admin's, from its token endpoint. */
    @Override
    protected String adminToken() {
        var request = java.net.http.HttpRequest.newBuilder(java.net.URI.create(baseUrl() + "/oauth2/token"))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString(
                        "grant_type=client_credentials&client_id=admin&client_secret=contract-secret"))
                .build();
        try {
            String body = java.net.http.HttpClient.newHttpClient()
                    .send(request, java.net.http.HttpResponse.BodyHandlers.ofString())
                    .body();
            return JsonMapper.builder()
                    .build()
                    .readTree(body)
                    .get("access_token")
                    .asString();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
