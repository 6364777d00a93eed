package io.fedtune.gateway.system;

import io.fedtune.gateway.observability.CorrelationId;
import java.net.ConnectException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeoutException;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.webflux.error.ErrorWebExceptionHandler;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.core.io.buffer.DataBufferLimitException;
import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.MediaType;
import org.springframework.http.server.reactive.ServerHttpResponse;
import org.springframework.stereotype.Component;
import org.springframework.web.server.ResponseStatusException;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;
import tools.jackson.databind.json.JsonMapper;

/**
 * The one place where every error of the gateway becomes an RFC 9457 ProblemDetail: its own refusals (size, rate),
 * unknown routes, and the failures of the services behind it (down: 503, broken answer or a TLS connection that does
 * not verify: 502, too slow: 504). Runs before Spring Boot's default handler, which would answer with its own JSON
 * shape.
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE)
class ProblemDetailsHandler implements ErrorWebExceptionHandler {

    private static final Logger log = LoggerFactory.getLogger(ProblemDetailsHandler.class);
    private static final JsonMapper json = JsonMapper.builder().build();

    @Override
    public Mono<Void> handle(ServerWebExchange exchange, Throwable error) {
        ServerHttpResponse response = exchange.getResponse();
        if (response.isCommitted()) {
            return Mono.error(error);
        }
        Problem problem = classify(error);
        String path = exchange.getRequest().getPath().value();
        CorrelationId.withMdc(exchange, () -> {
            if (problem.status().is5xxServerError()) {
                log.warn(
                        "{} {} answered {}: {}",
                        exchange.getRequest().getMethod(),
                        path,
                        problem.status().value(),
                        describe(error));
            } else {
                log.debug("{} {} answered {}: {}", exchange.getRequest().getMethod(), path, problem.status(), error);
            }
        });
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("type", "urn:fedtune:problem:" + problem.slug());
        body.put("title", problem.title());
        body.put("status", problem.status().value());
        body.put("detail", problem.detail());
        body.put("instance", path);
        String correlationId = CorrelationId.of(exchange);
        if (correlationId != null) {
            body.put("correlationId", correlationId);
        }
        byte[] bytes = json.writeValueAsBytes(body);
        response.setStatusCode(problem.status());
        response.getHeaders().setContentType(MediaType.APPLICATION_PROBLEM_JSON);
        response.getHeaders().setContentLength(bytes.length);
        return response.writeWith(Mono.just(response.bufferFactory().wrap(bytes)));
    }

    static Problem classify(Throwable error) {
        if (error instanceof GatewayException e) {
            return new Problem(e.status(), e.slug(), e.getMessage());
        }
        for (Throwable cause = error; cause != null; cause = cause.getCause()) {
            if (cause instanceof GatewayException e) {
                return new Problem(e.status(), e.slug(), e.getMessage());
            }
            if (cause instanceof TimeoutException || cause instanceof io.netty.channel.ConnectTimeoutException) {
                return new Problem(
                        HttpStatus.GATEWAY_TIMEOUT,
                        "upstream-timeout",
                        "The service behind the gateway did not answer in time.");
            }
            if (cause instanceof ConnectException) {
                return new Problem(
                        HttpStatus.SERVICE_UNAVAILABLE,
                        "upstream-unavailable",
                        "The service behind the gateway cannot be reached; try again shortly.");
            }
            if (cause instanceof reactor.netty.http.client.PrematureCloseException) {
                return new Problem(
                        HttpStatus.BAD_GATEWAY,
                        "upstream-failed",
                        "The service behind the gateway closed the connection before answering.");
            }
            if (cause instanceof SSLException) {
                return new Problem(
                        HttpStatus.BAD_GATEWAY,
                        "upstream-failed",
                        "The service behind the gateway could not be reached over a verified TLS connection.");
            }
            if (cause instanceof DataBufferLimitException) {
                return new Problem(HttpStatus.CONTENT_TOO_LARGE, "body-too-large", "The request body is too large.");
            }
        }
        if (error instanceof ResponseStatusException e) {
            return fromStatus(e.getStatusCode(), e.getReason());
        }
        return new Problem(HttpStatus.INTERNAL_SERVER_ERROR, "internal", "The gateway failed to handle the request.");
    }

    private static Problem fromStatus(HttpStatusCode code, String reason) {
        HttpStatus status = HttpStatus.resolve(code.value());
        if (status == null) {
            status = HttpStatus.INTERNAL_SERVER_ERROR;
        }
        return switch (status) {
            case NOT_FOUND -> new Problem(status, "not-found", "No fedtune API answers at this path.");
            case GATEWAY_TIMEOUT ->
                new Problem(status, "upstream-timeout", "The service behind the gateway did not answer in time.");
            case SERVICE_UNAVAILABLE ->
                new Problem(
                        status,
                        "upstream-unavailable",
                        "The service behind the gateway cannot be reached; try again shortly.");
            case BAD_GATEWAY ->
                new Problem(status, "upstream-failed", "The service behind the gateway answered with an error.");
            case CONTENT_TOO_LARGE -> new Problem(status, "body-too-large", "The request body is too large.");
            case METHOD_NOT_ALLOWED ->
                new Problem(status, "method-not-allowed", "This path does not accept this HTTP method.");
            default ->
                new Problem(
                        status,
                        status.is5xxServerError() ? "internal" : "bad-request",
                        reason != null ? reason : status.getReasonPhrase());
        };
    }

    private static String describe(Throwable error) {
        String message = error.getMessage();
        return error.getClass().getSimpleName() + (message == null ? "" : ": " + message);
    }

    /** What the client is told. */
    record Problem(HttpStatus status, String slug, String detail) {

        String title() {
            return status.getReasonPhrase();
        }
    }
}
