package io.fedtune.boot.postgres;

import java.nio.file.Path;

/** A run that starts the embedded server and waits to be killed, as a user's {@code kill -9} would end it. */
final class KilledRunServer {

    private KilledRunServer() {}

    public static void main(String[] args) throws InterruptedException {
        EmbeddedPostgresServer server = EmbeddedPostgresServer.start(Path.of(args[0]), 0);
        System.out.println("ready " + server.port());
        System.out.flush();
        Thread.sleep(Long.MAX_VALUE);
    }
}
