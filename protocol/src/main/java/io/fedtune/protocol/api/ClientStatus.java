package io.fedtune.protocol.api;

/** Whether an enrolled client may still get tokens and tasks. */
public enum ClientStatus {
    ACTIVE,
    REVOKED
}
