package io.fedtune.agent.home;

/** The agent home is missing something or cannot be used; the message says what to do. */
public class AgentHomeException extends RuntimeException {

    public AgentHomeException(String message) {
        super(message);
    }
}
