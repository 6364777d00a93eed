package io.fedtune.registry.system;

import java.net.URI;
import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.http.HttpStatus;

/**
 * The root of every error the registry reports on purpose. Each carries the HTTP status and a stable problem
 * type, and becomes an RFC 9457 ProblemDetail in {@link ProblemDetailsAdvice}.
 */
public class RegistryException extends RuntimeException {

    private final HttpStatus status;
    private final String type;
    private final Map<String, String> headers = new LinkedHashMap<>();

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

    /** 400: the request itself is wrong. */
    public static RegistryException badRequest(String type, String detail) {
        return new RegistryException(HttpStatus.BAD_REQUEST, type, detail);
    }

    /** 404: what the request names does not exist. */
    public static RegistryException notFound(String type, String detail) {
        return new RegistryException(HttpStatus.NOT_FOUND, type, detail);
    }

    /** 409: the request contradicts what is stored. */
    public static RegistryException conflict(String type, String detail) {
        return new RegistryException(HttpStatus.CONFLICT, type, detail);
    }

    /** 403: the caller's token does not reach this object. */
    public static RegistryException forbidden(String detail) {
        return new RegistryException(HttpStatus.FORBIDDEN, "forbidden", detail);
    }

    /** Adds a response header to the problem answer (e.g. {@code Content-Range} of a 416). */
    public RegistryException withHeader(String name, String value) {
        headers.put(name, value);
        return this;
    }

    public HttpStatus status() {
        return status;
    }

    /** The problem type slug, e.g. {@code version-exists}. */
    public String slug() {
        return type;
    }

    public URI type() {
        return URI.create("urn:fedtune:problem:" + type);
    }

    public Map<String, String> headers() {
        return Map.copyOf(headers);
    }
}
