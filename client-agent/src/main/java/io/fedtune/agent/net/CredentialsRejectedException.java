package io.fedtune.agent.net;

/**
 * The server refuses this agent's credentials: the client was revoked, or its secret is unknown. Retrying cannot
 * help, so the agent stops and says how to enroll again.
 */
public class CredentialsRejectedException extends RuntimeException {

    public CredentialsRejectedException(String message) {
        super(message);
    }
}
