package io.fedtune.agent;

import io.fedtune.agent.home.AgentHome;
import io.fedtune.agent.home.Credentials;
import io.fedtune.agent.net.AggregatorClient;
import io.fedtune.protocol.FedtuneVersion;
import io.fedtune.protocol.api.EnrollmentRequest;
import io.fedtune.protocol.api.EnrollmentResponse;
import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Locale;

/**
 * The agent as a library, for the launcher's demo and for tests: enroll a home, then run its loop.
 *
 * <pre>{@code
 * Credentials c = Agents.enroll(URI.create("http://localhost:8080"), token, "hospital-a", home);
 * AgentRunner.Result r = Agents.runner(home).setDataFile(data).setModelDir(model).build().run();
 * }</pre>
 */
public final class Agents {

    private Agents() {}

    /**
     * Enrolls with a one-time enrollment token and stores the credentials in {@code home} (owner-only).
     *
     * @param name the client's name in the federation; null for this host's name
     * @throws io.fedtune.agent.net.ServerException when the server refuses the token
     * @throws IOException when the server cannot be reached
     */
    public static Credentials enroll(URI server, String enrollmentToken, String name, Path home) throws IOException {
        AgentHome agentHome = AgentHome.open(home);
        String clientName = name == null || name.isBlank() ? defaultName() : name;
        EnrollmentResponse response = AggregatorClient.enroll(
                server, new EnrollmentRequest(enrollmentToken, clientName, FedtuneVersion.get()));
        Credentials credentials = new Credentials(
                server,
                response.clientId(),
                response.clientSecret(),
                response.federationId(),
                clientName,
                Instant.now());
        agentHome.saveCredentials(credentials);
        return credentials;
    }

    /** A runner builder for an enrolled home. */
    public static AgentRunner.Builder runner(Path home) {
        return AgentRunner.builder(home);
    }

    static String defaultName() {
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            host = "agent";
        }
        String cleaned = host.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9._-]", "-");
        return cleaned.isEmpty() || !Character.isLetterOrDigit(cleaned.charAt(0)) ? "agent-" + cleaned : cleaned;
    }
}
