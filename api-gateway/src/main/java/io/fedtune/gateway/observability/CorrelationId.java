package io.fedtune.gateway.observability;

import java.util.UUID;
import java.util.regex.Pattern;
import org.slf4j.MDC;
import org.springframework.web.server.ServerWebExchange;

/**
 * The id that ties together every log line of one request across the gateway and the services: the caller's {@code
 * X-Correlation-Id} when it is a sensible token, a new UUID otherwise.
 */
public final class CorrelationId {

    /** The header that carries it, on the way in, downstream, and back. */
    public static final String HEADER = "X-Correlation-Id";

    /** The MDC key log patterns use ({@code %X{correlationId}}). */
    public static final String MDC_KEY = "correlationId";

    static final String ATTRIBUTE = CorrelationId.class.getName();

    private static final Pattern ACCEPTABLE = Pattern.compile("[A-Za-z0-9._:-]{1,128}");

    private CorrelationId() {}

    /** The caller's id when acceptable, else a fresh one: never trust arbitrary header text into logs. */
    static String acceptOrCreate(String offered) {
        return offered != null && ACCEPTABLE.matcher(offered).matches()
                ? offered
                : UUID.randomUUID().toString();
    }

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
        try (MDC.MDCCloseable ignored = MDC.putCloseable(MDC_KEY, id)) {
            action.run();
        }
    }
}
