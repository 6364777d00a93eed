package io.fedtune.registry.system;

import java.net.URI;
import org.springframework.http.HttpStatus;

/**
 * The root of every error the registry reports on purpose. Each carries the HTTP status and a stable problem
 * type, and becomes an RFC 9457 ProblemDetail in {@link ProblemDetailsAdvice}.
 */
public class RegistryException extends RuntimeException {

    private final HttpStatus status;
    private final String type;

    /**
     * @param status the HTTP status the client gets
     * @param type a short, stable slug such as {@code version-exists}; becomes {@code urn:fedtune:problem:<type>}
     * @param detail a sentence for the human reading the response
     */
    public RegistryException(HttpStatus status, String type, String detail) {
        super(detail);
        this.status = status;
        this.type = type;
    }

    public HttpStatus status() {
        return status;
    }

    public URI type() {
        return URI.create("urn:fedtune:problem:" + type);
    }
}
