package io.fedtune.gateway.routing;

import static org.springframework.cloud.gateway.support.ServerWebExchangeUtils.GATEWAY_ROUTE_ATTR;

import io.fedtune.gateway.system.GatewayException;
import io.fedtune.gateway.system.GatewayProperties;
import java.util.concurrent.atomic.AtomicLong;
import org.springframework.cloud.gateway.filter.GatewayFilterChain;
import org.springframework.cloud.gateway.filter.GlobalFilter;
import org.springframework.cloud.gateway.route.Route;
import org.springframework.core.Ordered;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.http.HttpStatus;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.http.server.reactive.ServerHttpRequestDecorator;
import org.springframework.stereotype.Component;
import org.springframework.util.unit.DataSize;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Refuses request bodies larger than the route allows with 413: at once when {@code Content-Length} says so, and
 * while streaming when the body comes chunked. The body is counted as it passes, never buffered.
 */
@Component
class BodySizeLimitFilter implements GlobalFilter, Ordered {

    private final long defaultLimit;

    BodySizeLimitFilter(GatewayProperties properties) {
        this.defaultLimit = properties.limits().json().toBytes();
    }

    @Override
    public int getOrder() {
        return -100;
    }

    @Override
    public Mono<Void> filter(ServerWebExchange exchange, GatewayFilterChain chain) {
        long limit = limitOf(exchange.getAttribute(GATEWAY_ROUTE_ATTR));
        ServerHttpRequest request = exchange.getRequest();
        long declared = request.getHeaders().getContentLength();
        if (declared > limit) {
            return Mono.error(tooLarge(limit));
        }
        if (declared >= 0) {
            // Netty's HTTP decoder never delivers more than Content-Length bytes.
            return chain.filter(exchange);
        }
        ServerHttpRequest counted = new ServerHttpRequestDecorator(request) {
            @Override
            public Flux<DataBuffer> getBody() {
                AtomicLong seen = new AtomicLong();
                return super.getBody().handle((buffer, sink) -> {
                    if (seen.addAndGet(buffer.readableByteCount()) > limit) {
                        DataBufferUtils.release(buffer);
                        sink.error(tooLarge(limit));
                    } else {
                        sink.next(buffer);
                    }
                });
            }
        };
        return chain.filter(exchange.mutate().request(counted).build());
    }

    private long limitOf(Route route) {
        Object value = route == null ? null : route.getMetadata().get(RoutesConfiguration.MAX_BODY_BYTES);
        return value instanceof Number number ? number.longValue() : defaultLimit;
    }

    private static GatewayException tooLarge(long limit) {
        return new GatewayException(
                HttpStatus.CONTENT_TOO_LARGE,
                "body-too-large",
                "The request body is larger than this endpoint accepts ("
                        + DataSize.ofBytes(limit).toKilobytes()
                        + " KB at most; uploads as application/octet-stream may be larger).");
    }
}
