package io.fedtune.boot.security;

import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.server.reactive.ServerHttpResponse;
import org.springframework.security.web.server.ServerAuthenticationEntryPoint;
import org.springframework.security.web.server.authorization.ServerAccessDeniedHandler;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;

/** Answers 401 and 403 of the reactive gateway as RFC 9457 ProblemDetail, with the Bearer challenge. */
public final class ReactiveSecurityProblems {

    private ReactiveSecurityProblems() {}

    /** Missing, malformed, expired or untrusted tokens. */
    public static ServerAuthenticationEntryPoint entryPoint() {
        return (exchange, exception) ->
                write(exchange, HttpStatus.UNAUTHORIZED, SecurityProblems.unauthorized(exception));
    }

    /** A valid token without the needed role. */
    public static ServerAccessDeniedHandler accessDenied() {
        return (exchange, exception) -> write(exchange, HttpStatus.FORBIDDEN, SecurityProblems.forbidden());
    }

    private static Mono<Void> write(ServerWebExchange exchange, HttpStatus status, String detail) {
        ServerHttpResponse response = exchange.getResponse();
        response.setStatusCode(status);
        if (status == HttpStatus.UNAUTHORIZED) {
            response.getHeaders().set(HttpHeaders.WWW_AUTHENTICATE, "Bearer");
        }
        response.getHeaders().setContentType(MediaType.APPLICATION_PROBLEM_JSON);
        DataBuffer buffer = response.bufferFactory()
                .wrap(SecurityProblems.body(
                        status, detail, exchange.getRequest().getPath().value()));
        return response.writeWith(Mono.just(buffer));
    }
}
