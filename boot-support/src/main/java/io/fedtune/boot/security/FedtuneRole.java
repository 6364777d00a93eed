package io.fedtune.boot.security;

import java.util.Locale;
import java.util.Optional;

/** The roles of the platform's security model; a JWT carries them in its {@code roles} claim. */
public enum FedtuneRole {
    /** Manages federations, clients, models and adapters. */
    ADMIN,
    /** Reads everything an admin can see, changes nothing. */
    VIEWER,
    /** A client agent: its own federations' tasks, updates and adapters only. */
    AGENT,
    /** A fedtune service acting on its own behalf (the aggregator writing to the registry). */
    SERVICE;

    /** The Spring Security authority for this role, {@code ROLE_<NAME>}. */
    public String authority() {
        return "ROLE_" + name();
    }

    /** The role named by a claim value, case-insensitively; empty for names the platform does not know. */
    public static Optional<FedtuneRole> parse(String value) {
        if (value == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(valueOf(value.trim().toUpperCase(Locale.ROOT)));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }
}
