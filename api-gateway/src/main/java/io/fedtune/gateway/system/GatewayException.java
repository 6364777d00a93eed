package io.fedtune.gateway.system;

import java.net.URI;
import org.springframework.http.HttpStatus;

/**
 * The root of every error the gateway reports itself on purpose. Each carries the HTTP status and a stable problem
 * type, and becomes an RFC 9457 ProblemDetail in {@link ProblemDetailsHandler}.
 */
public class GatewayException extends RuntimeException {

    private final HttpStatus status;
    private final String type;

    /**
     * @param status the HTTP status the client gets
     * @param type a short, stable slug such as {@code route-unknown}; becomes {@code urn:fedtune:problem:<type>}
     * @param detail a sentence for the human reading the response
     */
    public GatewayException(HttpStatus status, String type, String detail) {
        super(detail, null, false, false);
        this.status = status;
        this.type = type;
    }

    public HttpStatus status() {
        return status;
    }

    public String slug() {
        return type;
    }

    public URI type() {
        return URI.create("urn:fedtune:problem:" + type);
    }
}
