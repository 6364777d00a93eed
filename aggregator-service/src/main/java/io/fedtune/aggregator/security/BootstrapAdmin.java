package io.fedtune.aggregator.security;

import java.time.Clock;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.ApplicationArguments;
import org.springframework.boot.ApplicationRunner;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.security.crypto.bcrypt.BCryptPasswordEncoder;
import org.springframework.stereotype.Component;

/**
 * The bootstrap admin credential for platforms without an OIDC issuer: the configured
 * {@code fedtune.security.bootstrap-admin.secret}, or a secret generated at the first start of the first replica and
 * printed once. Only its BCrypt hash is stored. An admin exchanges it at {@code POST /oauth2/token} with client_id
 * {@code admin} for an ADMIN token.
 */
@Component
class BootstrapAdmin implements ApplicationRunner {

    static final String NAME = "admin";
    private static final Logger log = LoggerFactory.getLogger(BootstrapAdmin.class);

    private final JdbcClient jdbc;
    private final SecurityProperties properties;
    private final Clock clock;
    private final BCryptPasswordEncoder bcrypt = new BCryptPasswordEncoder();

    BootstrapAdmin(JdbcClient jdbc, SecurityProperties properties, Clock clock) {
        this.jdbc = jdbc;
        this.properties = properties;
        this.clock = clock;
    }

    /** Whether the bootstrap admin may log in (only without an external OIDC issuer). */
    boolean enabled() {
        return !properties.oidc().configured();
    }

    @Override
    public void run(ApplicationArguments args) {
        if (!enabled()) {
            return;
        }
        String configured = properties.bootstrapAdmin().secret();
        Optional<String> stored = storedHash();
        if (configured != null && !configured.isBlank()) {
            if (stored.isEmpty() || !bcrypt.matches(configured, stored.get())) {
                jdbc.sql(
                                "INSERT INTO admin_credential (name, secret_hash, source, created_at) VALUES (?, ?, 'config', ?)"
                                        + " ON CONFLICT (name) DO UPDATE SET secret_hash = EXCLUDED.secret_hash,"
                                        + " source = EXCLUDED.source, created_at = EXCLUDED.created_at")
                        .params(NAME, bcrypt.encode(configured), java.sql.Timestamp.from(clock.instant()))
                        .update();
            }
            return;
        }
        if (stored.isPresent()) {
            return;
        }
        String secret = Secrets.generate("fta_");
        int inserted = jdbc.sql("INSERT INTO admin_credential (name, secret_hash, source, created_at)"
                        + " VALUES (?, ?, 'generated', ?) ON CONFLICT (name) DO NOTHING")
                .params(NAME, bcrypt.encode(secret), java.sql.Timestamp.from(clock.instant()))
                .update();
        if (inserted == 1) {
            String banner = "\n=== fedtune bootstrap admin (shown once) ===\n  client_id:     " + NAME
                    + "\n  client_secret: " + secret
                    + "\n  exchange it:   curl -u admin:<secret> -d grant_type=client_credentials "
                    + properties.issuerUri() + "/oauth2/token\n"
                    + "  Set fedtune.security.bootstrap-admin.secret or an OIDC issuer to manage it yourself.\n"
                    + "============================================\n";
            System.out.println(banner);
            log.warn("Generated the bootstrap admin credential; it was printed to standard output once.");
        }
    }

    /** Whether the secret is the bootstrap admin's. */
    boolean verify(String secret) {
        return enabled()
                && secret != null
                && storedHash().map(hash -> bcrypt.matches(secret, hash)).orElse(false);
    }

    private Optional<String> storedHash() {
        return jdbc.sql("SELECT secret_hash FROM admin_credential WHERE name = ?")
                .param(NAME)
                .query(String.class)
                .optional();
    }
}
