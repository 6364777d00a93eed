package io.fedtune.agent.net;

/**
 * The server answered with an error status. {@link #problemType()} is the slug of its RFC 9457 ProblemDetail
 * ({@code urn:fedtune:problem:<slug>}) when it sent one.
 */
public class ServerException extends RuntimeException {

    private final int status;
    private final String problemType;
    private final String detail;

    public ServerException(String what, int status, String problemType, String detail) {
        super(what + " failed with HTTP " + status + (problemType == null ? "" : " (" + problemType + ")")
                + (detail == null || detail.isBlank() ? "" : ": " + detail));
        this.status = status;
        this.problemType = problemType;
        this.detail = detail;
    }

    public int status() {
        return status;
    }

    /** The problem's slug, e.g. {@code round-closed}, or null. */
    public String problemType() {
        return problemType;
    }

    public String detail() {
        return detail;
    }

    /** Whether trying again later may succeed: server errors, throttling and timeouts. */
    public boolean retryable() {
        return status >= 500 || status == 429 || status == 408;
    }
}
