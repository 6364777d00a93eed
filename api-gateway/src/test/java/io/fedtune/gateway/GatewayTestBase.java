package io.fedtune.gateway;

import io.fedtune.testsupport.TestTokens;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.core.env.Environment;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * A real gateway on a random port in front of two {@link TestUpstream}s standing in for the aggregator and the
 * registry. Subclasses share one Spring context.
 */
@SpringBootTest(
        webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {
            "fedtune.gateway.timeouts.api=1s",
            "fedtune.gateway.limits.json=64KB",
            "fedtune.gateway.limits.upload=8MB",
            "fedtune.gateway.rate-limit.requests-per-second=1000",
            "fedtune.gateway.rate-limit.burst=5000"
        })
abstract class GatewayTestBase {

    static final TestUpstream aggregator = TestUpstream.start("aggregator");
    static final TestUpstream registry = TestUpstream.start("registry");
    static final TestTokens tokens = TestTokens.shared();

    private static final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @Autowired
    Environment environment;

    @DynamicPropertySource
    static void upstreams(DynamicPropertyRegistry registry) {
        TestTokens.register(registry);
        registry.add("fedtune.gateway.aggregator-uri", aggregator::url);
        registry.add("fedtune.gateway.registry-uri", GatewayTestBase.registry::url);
    }

    String gateway() {
        return "http://localhost:" + environment.getProperty("local.server.port");
    }

    HttpResponse<String> get(String path, String token) {
        return send(request(path, token).GET());
    }

    HttpResponse<String> post(String path, String token, String contentType, byte[] body) {
        HttpRequest.Builder builder = request(path, token).POST(HttpRequest.BodyPublishers.ofByteArray(body));
        if (contentType != null) {
            builder.header("Content-Type", contentType);
        }
        return send(builder);
    }

    HttpResponse<String> postJson(String path, String token, String json) {
        return post(path, token, "application/json", json.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    HttpRequest.Builder request(String path, String token) {
        HttpRequest.Builder builder =
                HttpRequest.newBuilder(URI.create(gateway() + path)).timeout(Duration.ofSeconds(30));
        if (token != null) {
            builder.header("Authorization", "Bearer " + token);
        }
        return builder;
    }

    static HttpResponse<String> send(HttpRequest.Builder builder) {
        try {
            return http.send(builder.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
