package io.fedtune.aggregator.round;

import io.fedtune.aggregator.AggregatorApplication;
import io.fedtune.testsupport.TestDatabase;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.springframework.context.ConfigurableApplicationContext;

/** Real aggregator replicas started in this JVM on one database and one blob directory, as in production. */
public final class Replicas {

    private Replicas() {}

    /** Starts a replica with the test admin secret. */
    public static ConfigurableApplicationContext start(TestDatabase database, Path blobs, String... extra) {
        List<String> args = new ArrayList<>(List.of(extra));
        args.add("--fedtune.security.bootstrap-admin.secret=" + Api.ADMIN_SECRET);
        return startWithout(database, blobs, args.toArray(String[]::new));
    }

    /** Starts a replica with no bootstrap admin secret configured. */
    public static ConfigurableApplicationContext startWithout(TestDatabase database, Path blobs, String... extra) {
        List<String> args = new ArrayList<>(List.of(
                "--spring.datasource.url=" + database.jdbcUrl(),
                "--spring.datasource.username=" + database.username(),
                "--spring.datasource.password=" + database.password(),
                "--server.port=0",
                "--spring.main.banner-mode=off",
                "--fedtune.home=" + blobs.getParent(),
                "--fedtune.aggregator.blobs.path=" + blobs,
                "--fedtune.security.issuer-uri=http://fedtune.test",
                "--fedtune.aggregator.long-poll-check-interval=PT0.1S"));
        args.addAll(List.of(extra));
        return AggregatorApplication.builder().registerShutdownHook(false).run(args.toArray(String[]::new));
    }

    public static String url(ConfigurableApplicationContext context) {
        return "http://localhost:" + context.getEnvironment().getProperty("local.server.port");
    }
}
