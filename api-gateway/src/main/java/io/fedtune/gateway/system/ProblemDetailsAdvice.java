package io.fedtune.gateway.system;

import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.springframework.web.reactive.result.method.annotation.ResponseEntityExceptionHandler;

/** The one place where the gateway's own errors become RFC 9457 ProblemDetail responses. */
@RestControllerAdvice
class ProblemDetailsAdvice extends ResponseEntityExceptionHandler {

    @ExceptionHandler(GatewayException.class)
    ResponseEntity<ProblemDetail> handle(GatewayException e) {
        ProblemDetail problem = ProblemDetail.forStatusAndDetail(e.status(), e.getMessage());
        problem.setType(e.type());
        return ResponseEntity.status(e.status()).body(problem);
    }
}
