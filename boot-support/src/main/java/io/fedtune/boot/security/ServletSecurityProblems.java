package io.fedtune.boot.security;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.security.web.AuthenticationEntryPoint;
import org.springframework.security.web.access.AccessDeniedHandler;

/**
 * Answers 401 and 403 of servlet services as RFC 9457 ProblemDetail, like every other error of the platform,
 * with the {@code WWW-Authenticate: Bearer} challenge of RFC 6750. The detail never echoes the credentials.
 */
public final class ServletSecurityProblems {

    private ServletSecurityProblems() {}

    /** Missing, malformed, expired or untrusted tokens. */
    public static AuthenticationEntryPoint entryPoint() {
        return (request, response, exception) ->
                write(request, response, HttpStatus.UNAUTHORIZED, SecurityProblems.unauthorized(exception));
    }

    /** A valid token without the role or federation the request needs. */
    public static AccessDeniedHandler accessDenied() {
        return (request, response, exception) ->
                write(request, response, HttpStatus.FORBIDDEN, SecurityProblems.forbidden());
    }

    private static void write(
            HttpServletRequest request, HttpServletResponse response, HttpStatus status, String detail)
            throws IOException {
        response.setStatus(status.value());
        if (status == HttpStatus.UNAUTHORIZED) {
            response.setHeader(HttpHeaders.WWW_AUTHENTICATE, "Bearer");
        }
        response.setContentType(MediaType.APPLICATION_PROBLEM_JSON_VALUE);
        response.getOutputStream().write(SecurityProblems.body(status, detail, request.getRequestURI()));
    }
}
