package io.fedtune.gateway.routing;

import static org.springframework.cloud.gateway.support.RouteMetadataUtils.CONNECT_TIMEOUT_ATTR;
import static org.springframework.cloud.gateway.support.RouteMetadataUtils.RESPONSE_TIMEOUT_ATTR;

import io.fedtune.gateway.system.GatewayProperties;
import java.net.URI;
import java.time.Duration;
import org.springframework.cloud.gateway.route.Route;
import org.springframework.cloud.gateway.route.RouteLocator;
import org.springframework.cloud.gateway.route.builder.Buildable;
import org.springframework.cloud.gateway.route.builder.PredicateSpec;
import org.springframework.cloud.gateway.route.builder.RouteLocatorBuilder;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.util.unit.DataSize;

/**
 * The routing table: each path prefix to the service that owns it (DESIGN.md), with its own timeout and body limit.
 * Uploads ({@code application/octet-stream} or multipart bodies) get their own routes, because their timeout must
 * cover sending the whole body and their size limit is that of a model, not of a JSON document.
 */
@Configuration(proxyBeanMethods = false)
class RoutesConfiguration {

    /** Route metadata: the largest request body, in bytes, that the route lets through. */
    static final String MAX_BODY_BYTES = "fedtune.max-body-bytes";

    static final String[] AGGREGATOR_PATHS = {
        "/api/v1/federations/**", "/api/v1/agent/**", "/api/v1/audit/**", "/oauth2/**", "/.well-known/**"
    };
    static final String[] REGISTRY_PATHS = {"/api/v1/models/**", "/api/v1/adapters/**"};
    static final String UPLOAD_CONTENT_TYPE = "(?i)(application/octet-stream|multipart/).*";

    @Bean
    RouteLocator fedtuneRoutes(RouteLocatorBuilder builder, GatewayProperties properties) {
        GatewayProperties.Timeouts timeouts = properties.timeouts();
        GatewayProperties.Limits limits = properties.limits();
        URI aggregator = properties.aggregatorUri();
        URI registry = properties.registryUri();
        return builder.routes()
                .route(
                        "aggregator-upload",
                        route -> route.order(0)
                                .path(AGGREGATOR_PATHS)
                                .and()
                                .header("Content-Type", UPLOAD_CONTENT_TYPE)
                                .metadata(MAX_BODY_BYTES, bytes(limits.upload()))
                                .metadata(RESPONSE_TIMEOUT_ATTR, millis(timeouts.transfer()))
                                .metadata(CONNECT_TIMEOUT_ATTR, (int) millis(timeouts.connect()))
                                .uri(aggregator))
                .route(
                        "registry-upload",
                        route -> route.order(0)
                                .path(REGISTRY_PATHS)
                                .and()
                                .header("Content-Type", UPLOAD_CONTENT_TYPE)
                                .metadata(MAX_BODY_BYTES, bytes(limits.upload()))
                                .metadata(RESPONSE_TIMEOUT_ATTR, millis(timeouts.transfer()))
                                .metadata(CONNECT_TIMEOUT_ATTR, (int) millis(timeouts.connect()))
                                .uri(registry))
                .route(
                        "aggregator-agent",
                        route -> route.order(1)
                                .path("/api/v1/agent/**")
                                .metadata(MAX_BODY_BYTES, bytes(limits.json()))
                                .metadata(RESPONSE_TIMEOUT_ATTR, millis(timeouts.agent()))
                                .metadata(CONNECT_TIMEOUT_ATTR, (int) millis(timeouts.connect()))
                                .uri(aggregator))
                .route(
                        "aggregator",
                        route -> route.order(2)
                                .path(AGGREGATOR_PATHS)
                                .metadata(MAX_BODY_BYTES, bytes(limits.json()))
                                .metadata(RESPONSE_TIMEOUT_ATTR, millis(timeouts.api()))
                                .metadata(CONNECT_TIMEOUT_ATTR, (int) millis(timeouts.connect()))
                                .uri(aggregator))
                .route(
                        "registry",
                        route -> route.order(2)
                                .path(REGISTRY_PATHS)
                                .metadata(MAX_BODY_BYTES, bytes(limits.json()))
                                .metadata(RESPONSE_TIMEOUT_ATTR, millis(timeouts.api()))
                                .metadata(CONNECT_TIMEOUT_ATTR, (int) millis(timeouts.connect()))
                                .uri(registry))
                .route("aggregator-openapi", route -> openApi(route, "aggregator", aggregator, timeouts))
                .route("registry-openapi", route -> openApi(route, "registry", registry, timeouts))
                .build();
    }

    /**
     * {@code /openapi/<service>} serves that service's OpenAPI document, with its server set to the gateway, so the
     * one Swagger UI of the gateway lists and tries every service's API through the gateway.
     */
    private static Buildable<Route> openApi(
            PredicateSpec route, String service, URI uri, GatewayProperties.Timeouts timeouts) {
        return route.order(3)
                .path("/openapi/" + service)
                .and()
                .method("GET")
                .filters(filters -> filters.setPath("/v3/api-docs")
                        .modifyResponseBody(String.class, String.class, OpenApiDocuments::servedByGateway))
                .metadata(MAX_BODY_BYTES, 0L)
                .metadata(RESPONSE_TIMEOUT_ATTR, millis(timeouts.api()))
                .metadata(CONNECT_TIMEOUT_ATTR, (int) millis(timeouts.connect()))
                .uri(uri);
    }

    private static long bytes(DataSize size) {
        return size.toBytes();
    }

    private static long millis(Duration duration) {
        return duration.toMillis();
    }
}
