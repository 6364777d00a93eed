package io.fedtune.gateway.routing;

import java.util.List;
import java.util.Map;
import org.springframework.http.HttpStatus;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/** Rewrites a service's OpenAPI document so that its requests go through the gateway rather than to the service. */
final class OpenApiDocuments {

    private static final JsonMapper json = JsonMapper.builder().build();

    private OpenApiDocuments() {}

    /**
     * The document with one server, {@code /}: relative to the document's own URL, which is the gateway's as the
     * client sees it, behind any proxy or ingress.
     */
    static Mono<String> servedByGateway(ServerWebExchange exchange, String body) {
        if (body == null || exchange.getResponse().getStatusCode() != HttpStatus.OK) {
            return Mono.justOrEmpty(body);
        }
        JsonNode document = json.readTree(body);
        if (!(document instanceof ObjectNode object)) {
            return Mono.just(body);
        }
        object.set("servers", json.valueToTree(List.of(Map.of("url", "/", "description", "fedtune API gateway"))));
        return Mono.just(json.writeValueAsString(object));
    }
}
