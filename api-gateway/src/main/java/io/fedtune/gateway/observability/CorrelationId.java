package io.fedtune.gateway.observability;

import io.fedtune.boot.correlation.CorrelationIds;
import org.slf4j.MDC;
import org.springframework.web.server.ServerWebExchange;

/**
 * The gateway's side of {@link CorrelationIds}: the id of an exchange, and the MDC around the gateway's own log
 * lines (Reactor threads carry no MDC of their own).
 */
public final class CorrelationId {

    static final String ATTRIBUTE = CorrelationId.class.getName();

    private CorrelationId() {}

    /** The id of this exchange, or null before the correlation filter ran. */
    public static String of(ServerWebExchange exchange) {
        return exchange.getAttribute(ATTRIBUTE);
    }

    /** Runs {@code action} with this exchange's id in the logging MDC. */
    public static void withMdc(ServerWebExchange exchange, Runnable action) {
        String id = of(exchange);
        if (id == null) {
            action.run();
            return;
        }
        try (MDC.MDCCloseable ignored = MDC.putCloseable(CorrelationIds.MDC_KEY, id)) {
            action.run();
        }
    }
}
