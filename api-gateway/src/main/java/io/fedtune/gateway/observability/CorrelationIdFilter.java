package io.fedtune.gateway.observability;

import io.fedtune.boot.correlation.CorrelationIds;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.stereotype.Component;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;
import reactor.core.publisher.Mono;

/**
 * Gives every request a correlation id before anything else runs (security included), passes it to the service
 * behind, returns it to the caller, and writes one access-log line per request with it in the MDC.
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE)
class CorrelationIdFilter implements WebFilter {

    private static final Logger access = LoggerFactory.getLogger("io.fedtune.gateway.access");

    @Override
    public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
        String id =
                CorrelationIds.acceptOrCreate(exchange.getRequest().getHeaders().getFirst(CorrelationIds.HEADER));
        long started = System.nanoTime();
        ServerHttpRequest request = exchange.getRequest()
                .mutate()
                .headers(headers -> headers.set(CorrelationIds.HEADER, id))
                .build();
        ServerWebExchange tagged = exchange.mutate().request(request).build();
        tagged.getAttributes().put(CorrelationId.ATTRIBUTE, id);
        // Last word on the header: a service behind echoes it too, and the caller must see it once.
        tagged.getResponse().beforeCommit(() -> {
            tagged.getResponse().getHeaders().set(CorrelationIds.HEADER, id);
            return Mono.empty();
        });
        return chain.filter(tagged).doFinally(signal -> log(tagged, started));
    }

    private static void log(ServerWebExchange exchange, long started) {
        if (!access.isInfoEnabled()) {
            return;
        }
        HttpStatusCode status = exchange.getResponse().getStatusCode();
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
        // Refused requests never reach the rate limiter, which names the caller: name them by address.
        String client = exchange.getAttributeOrDefault(
                ClientKey.ATTRIBUTE, ClientKey.ofAddress(exchange).value());
        CorrelationId.withMdc(
                exchange,
                () -> access.info(
                        "{} {} {} {}ms client={}",
                        exchange.getRequest().getMethod(),
                        exchange.getRequest().getPath().value(),
                        status == null ? "-" : status.value(),
                        millis,
                        client));
    }
}
