package io.fedtune.boot.security;

import java.nio.charset.StandardCharsets;
import org.springframework.http.HttpStatus;
import org.springframework.security.core.AuthenticationException;

/** The RFC 9457 bodies of 401 and 403 answers, shared by the servlet and the reactive handlers. */
final class SecurityProblems {

    private SecurityProblems() {}

    static String unauthorized(AuthenticationException exception) {
        return exception == null || exception.getMessage() == null
                ? "A valid bearer token is required."
                : "A valid bearer token is required: " + exception.getMessage();
    }

    static String forbidden() {
        return "The token does not grant access to this resource.";
    }

    static byte[] body(HttpStatus status, String detail, String instance) {
        String json = "{\"type\":\"urn:fedtune:problem:"
                + (status == HttpStatus.UNAUTHORIZED ? "unauthenticated" : "forbidden")
                + "\",\"title\":\"" + status.getReasonPhrase()
                + "\",\"status\":" + status.value()
                + ",\"detail\":\"" + escape(detail)
                + "\",\"instance\":\"" + escape(instance) + "\"}";
        return json.getBytes(StandardCharsets.UTF_8);
    }

    private static String escape(String text) {
        StringBuilder out = new StringBuilder(text.length() + 8);
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        return out.toString();
    }
}
