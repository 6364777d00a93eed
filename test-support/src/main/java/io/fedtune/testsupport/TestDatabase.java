package io.fedtune.testsupport;

/**
 * One fresh database on the test server; {@link #close()} drops it.
 *
 * @param name the database name
 * @param jdbcUrl where to connect
 * @param username the user that owns it
 * @param password that user's password (often empty under trust authentication)
 * @param dropper drops the database
 */
public record TestDatabase(String name, String jdbcUrl, String username, String password, Runnable dropper)
        implements AutoCloseable {

    /** Drops the database, forcing off any connection still open. */
    @Override
    public void close() {
        dropper.run();
    }
}
