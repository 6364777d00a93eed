package io.fedtune.boot.correlation;

import java.util.UUID;
import java.util.regex.Pattern;

/**
 * The correlation id that ties together the log lines of one request across the gateway and the services: the
 * {@code X-Correlation-Id} header, in the logging MDC as {@code correlationId}.
 */
public final class CorrelationIds {

    /** The header that carries it into a service and back out. */
    public static final String HEADER = "X-Correlation-Id";

    /** The MDC key; every service's log pattern prints it. */
    public static final String MDC_KEY = "correlationId";

    private static final Pattern ACCEPTABLE = Pattern.compile("[A-Za-z0-9._:-]{1,128}");

    private CorrelationIds() {}

    /** The offered id when it is a short plain token, a new UUID otherwise: header text never flows raw into logs. */
    public static String acceptOrCreate(String offered) {
        return offered != null && ACCEPTABLE.matcher(offered).matches()
                ? offered
                : UUID.randomUUID().toString();
    }
}
