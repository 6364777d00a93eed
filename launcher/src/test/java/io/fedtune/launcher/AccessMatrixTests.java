package io.fedtune.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import io.fedtune.protocol.api.BaseModelSpec;
import io.fedtune.protocol.api.ClientSelection;
import io.fedtune.protocol.api.FailurePolicy;
import io.fedtune.protocol.api.FailureReason;
import io.fedtune.protocol.api.FailureReport;
import io.fedtune.protocol.api.FederationConfig;
import io.fedtune.protocol.api.LoraMode;
import io.fedtune.protocol.api.PeftMethod;
import io.fedtune.protocol.api.PeftSpec;
import io.fedtune.protocol.api.RoundPolicy;
import io.fedtune.protocol.api.StrategySpec;
import io.fedtune.protocol.api.TargetModule;
import io.fedtune.protocol.api.TrainingSpec;
import io.fedtune.testsupport.TestDatabase;
import io.fedtune.testsupport.TestDatabases;
import io.fedtune.testsupport.TestTokens;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Method;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.beans.factory.config.BeanDefinition;
import org.springframework.context.annotation.ClassPathScanningCandidateComponentProvider;
import org.springframework.core.annotation.AnnotatedElementUtils;
import org.springframework.core.type.filter.AnnotationTypeFilter;
import org.springframework.http.server.PathContainer;
import org.springframework.util.ClassUtils;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestMethod;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.util.pattern.PathPattern;
import org.springframework.web.util.pattern.PathPatternParser;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Every endpoint of the platform, called through the gateway by every kind of caller, against the real registry and
 * aggregator on real PostgreSQL: the expected answer is a table, and each cell is checked. People's tokens (admin,
 * viewer, and the broken ones) come from an OIDC issuer the platform trusts ({@link TestTokens}); agents' tokens
 * come from the aggregator itself, after a real enrollment.
 */
class AccessMatrixTests {

    /** Who calls. */
    enum Caller {
        NONE,
        EXPIRED,
        FORGED,
        OTHER_AGENT,
        AGENT,
        VIEWER,
        ADMIN
    }

    /**
     * The answer expected: a status, or "past the access checks" for calls whose outcome depends on state; and, where
     * the status alone cannot tell who answered (an endpoint's own 401 from the gateway's), the ProblemDetail type.
     */
    record Expect(int status, String problem) {
        static final Expect ALLOWED = new Expect(0);

        Expect(int status) {
            this(status, null);
        }

        boolean matches(HttpResponse<String> response) {
            int actual = response.statusCode();
            boolean status = this.status == 0 ? actual != 401 && actual != 403 && actual < 500 : actual == this.status;
            return status && (problem == null || problem.equals(problemType(response.body())));
        }

        @Override
        public String toString() {
            String answer = status == 0 ? "allowed (not 401/403/5xx)" : Integer.toString(status);
            return problem == null ? answer : answer + " " + problem;
        }
    }

    static final Expect OK = new Expect(200);
    static final Expect CREATED = new Expect(201);
    static final Expect NO_CONTENT = new Expect(204);
    static final Expect ALLOWED = Expect.ALLOWED;
    static final Expect UNAUTHORIZED = new Expect(401);
    static final Expect FORBIDDEN = new Expect(403);

    static final JsonMapper json = JsonMapper.builder().build();
    static final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    static final TestTokens people = TestTokens.shared();

    static TestDatabase database;
    static Platform platform;
    static final Map<Caller, String> tokens = new EnumMap<>(Caller.class);
    static String federation;
    static String otherFederation;
    // fixtures of the rows that change state for good, so that no other row depends on what they did
    static String unstartedFederation;
    static String cancelledFederation;
    static String revokedFederation;
    static String revokedEnrollmentToken;
    static String revokedClient;

    @BeforeAll
    static void platformWithTwoFederationsAndAnAgentInEach(@TempDir Path home) {
        database = TestDatabases.create();
        platform = Platform.start(
                new Platform.Options(home, 0, 0, 0, 0, database.jdbcUrl(), database.username(), database.password()),
                "--fedtune.security.oidc.issuer-uri=" + people.issuerUri(),
                "--fedtune.security.oidc.jwk-set-uri=" + people.issuerUri() + "/oauth2/jwks",
                "--fedtune.gateway.rate-limit.requests-per-second=100000",
                "--fedtune.gateway.rate-limit.burst=100000");
        tokens.put(Caller.ADMIN, people.admin());
        tokens.put(Caller.VIEWER, people.viewer());
        tokens.put(Caller.EXPIRED, people.expiredAdmin());
        tokens.put(Caller.FORGED, people.forgedAdmin());

        federation = createFederation("matrix-a");
        otherFederation = createFederation("matrix-b");
        tokens.put(Caller.AGENT, enrolledAgentToken(federation, "agent-a"));
        tokens.put(Caller.OTHER_AGENT, enrolledAgentToken(otherFederation, "agent-b"));

        unstartedFederation = createdFederation("matrix-unstarted");
        cancelledFederation = createFederation("matrix-cancelled");
        revokedFederation = createFederation("matrix-revoked");
        revokedEnrollmentToken =
                json.readTree(enrollmentToken(revokedFederation)).get("id").asString();
        revokedClient =
                enroll(revokedFederation, "agent-revoked").get("clientId").asString();
        registerModel("matrix-archived");
        HttpResponse<String> archived = sendRaw(
                HttpRequest.newBuilder(URI.create(platform.gatewayUrl() + "/api/v1/models/matrix-archived/archive"))
                        .header("Authorization", "Bearer " + tokens.get(Caller.ADMIN))
                        .header("Content-Type", "application/octet-stream")
                        .PUT(HttpRequest.BodyPublishers.ofByteArray(new byte[64])));
        assertThat(archived.statusCode()).as(archived.body()).isEqualTo(201);
        registerModel("matrix-unarchived");
    }

    @AfterAll
    static void stop() {
        if (platform != null) {
            platform.close();
        }
        if (database != null) {
            database.close();
        }
    }

    /** A small valid federation: two 16 × 16 modules at rank 4. */
    static String federationConfig(String name) {
        return json.writeValueAsString(new FederationConfig(
                name,
                null,
                new BaseModelSpec("tiny", null),
                new PeftSpec(
                        PeftMethod.LORA,
                        4,
                        8,
                        0,
                        false,
                        null,
                        List.of(new TargetModule("layers.0.q", 16, 16), new TargetModule("layers.0.v", 16, 16)),
                        0),
                new TrainingSpec(1, 0, 4, 1e-3, 0, 64, 0, 0),
                StrategySpec.fedAvg(LoraMode.FEDIT),
                new ClientSelection(1, 1.0, 2),
                new RoundPolicy(2, Duration.ofMinutes(10), FailurePolicy.FAIL_FEDERATION, 1),
                null,
                null,
                null,
                7));
    }

    static String createFederation(String name) {
        String id = createdFederation(name);
        HttpResponse<String> started =
                send("POST", "/api/v1/federations/" + id + "/start", tokens.get(Caller.ADMIN), "");
        assertThat(started.statusCode()).as(started.body()).isEqualTo(200);
        return id;
    }

    /** A federation created and left unstarted. */
    static String createdFederation(String name) {
        HttpResponse<String> created =
                send("POST", "/api/v1/federations", tokens.get(Caller.ADMIN), federationConfig(name));
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        return json.readTree(created.body()).get("id").asString();
    }

    /** A new enrollment token for one agent, as JSON (its id and the token itself). */
    static String enrollmentToken(String federationId) {
        HttpResponse<String> enrollment = send(
                "POST",
                "/api/v1/federations/" + federationId + "/enrollment-tokens",
                tokens.get(Caller.ADMIN),
                "{\"expiresIn\":\"PT1H\",\"maxUses\":1}");
        assertThat(enrollment.statusCode()).as(enrollment.body()).isEqualTo(201);
        return enrollment.body();
    }

    /** An agent enrolled into the federation: its client credentials. */
    static JsonNode enroll(String federationId, String name) {
        String enrollmentToken =
                json.readTree(enrollmentToken(federationId)).get("token").asString();
        HttpResponse<String> enrolled = send(
                "POST",
                "/api/v1/agent/enroll",
                null,
                "{\"token\":\"" + enrollmentToken + "\",\"name\":\"" + name + "\"}");
        assertThat(enrolled.statusCode()).as(enrolled.body()).isEqualTo(201);
        return json.readTree(enrolled.body());
    }

    static String enrolledAgentToken(String federationId, String name) {
        JsonNode credentials = enroll(federationId, name);
        String basic = Base64.getEncoder()
                .encodeToString((credentials.get("clientId").asString() + ":"
                                + credentials.get("clientSecret").asString())
                        .getBytes(StandardCharsets.UTF_8));
        HttpResponse<String> token = sendRaw(HttpRequest.newBuilder(URI.create(platform.gatewayUrl() + "/oauth2/token"))
                .header("Authorization", "Basic " + basic)
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString("grant_type=client_credentials")));
        assertThat(token.statusCode()).as(token.body()).isEqualTo(200);
        return json.readTree(token.body()).get("access_token").asString();
    }

    static void registerModel(String name) {
        HttpResponse<String> registered = send(
                "POST",
                "/api/v1/models",
                tokens.get(Caller.ADMIN),
                "{\"name\":\"" + name + "\",\"architecture\":\"llama\",\"sourceUri\":\"file:///models/m\"}");
        assertThat(registered.statusCode()).as(registered.body()).isEqualTo(201);
    }

    /** One row: a call and the answer each caller gets. */
    record Row(String method, String path, String contentType, Supplier<byte[]> body, Map<Caller, Expect> expected) {

        static Row of(
                String method, String path, String json, Expect otherAgent, Expect agent, Expect viewer, Expect admin) {
            return new Row(
                    method,
                    path,
                    json == null ? null : "application/json",
                    () -> json == null ? new byte[0] : json.getBytes(StandardCharsets.UTF_8),
                    expectations(otherAgent, agent, viewer, admin));
        }

        /** A public endpoint: no caller is stopped at the door, each gets the endpoint's own answer. */
        static Row open(String method, String path, String contentType, String body, Expect everyone) {
            Map<Caller, Expect> expected = new EnumMap<>(Caller.class);
            for (Caller caller : Caller.values()) {
                expected.put(caller, everyone);
            }
            return new Row(
                    method,
                    path,
                    contentType,
                    () -> body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8),
                    expected);
        }

        static Map<Caller, Expect> expectations(Expect otherAgent, Expect agent, Expect viewer, Expect admin) {
            Map<Caller, Expect> expected = new EnumMap<>(Caller.class);
            expected.put(Caller.NONE, UNAUTHORIZED);
            expected.put(Caller.EXPIRED, UNAUTHORIZED);
            expected.put(Caller.FORGED, UNAUTHORIZED);
            expected.put(Caller.OTHER_AGENT, otherAgent);
            expected.put(Caller.AGENT, agent);
            expected.put(Caller.VIEWER, viewer);
            expected.put(Caller.ADMIN, admin);
            return expected;
        }
    }

    static List<Row> aggregatorRows() {
        String a = "/api/v1/federations/" + federation;
        String agentA = "/api/v1/agent/federations/" + federation;
        return List.of(
                Row.of("GET", "/api/v1/federations", null, FORBIDDEN, FORBIDDEN, OK, OK),
                Row.of(
                        "POST",
                        "/api/v1/federations",
                        federationConfig("matrix-new"),
                        FORBIDDEN,
                        FORBIDDEN,
                        FORBIDDEN,
                        CREATED),
                Row.of("GET", a, null, FORBIDDEN, FORBIDDEN, OK, OK),
                Row.of("GET", a + "/rounds", null, FORBIDDEN, FORBIDDEN, OK, OK),
                Row.of("GET", a + "/rounds/1", null, FORBIDDEN, FORBIDDEN, ALLOWED, ALLOWED),
                Row.of("GET", a + "/clients", null, FORBIDDEN, FORBIDDEN, OK, OK),
                Row.of("GET", a + "/enrollment-tokens", null, FORBIDDEN, FORBIDDEN, OK, OK),
                Row.of(
                        "POST",
                        a + "/enrollment-tokens",
                        "{\"expiresIn\":\"PT1H\",\"maxUses\":1}",
                        FORBIDDEN,
                        FORBIDDEN,
                        FORBIDDEN,
                        CREATED),
                Row.of("GET", a + "/adapter", null, FORBIDDEN, FORBIDDEN, ALLOWED, ALLOWED),
                Row.of("GET", a + "/adapters", null, FORBIDDEN, FORBIDDEN, OK, OK),
                Row.of("POST", a + "/pause", "", FORBIDDEN, FORBIDDEN, FORBIDDEN, ALLOWED),
                Row.of("POST", a + "/resume", "", FORBIDDEN, FORBIDDEN, FORBIDDEN, ALLOWED),
                Row.of(
                        "POST",
                        "/api/v1/federations/" + unstartedFederation + "/start",
                        "",
                        FORBIDDEN,
                        FORBIDDEN,
                        FORBIDDEN,
                        OK),
                Row.of(
                        "POST",
                        "/api/v1/federations/" + cancelledFederation + "/cancel",
                        "",
                        FORBIDDEN,
                        FORBIDDEN,
                        FORBIDDEN,
                        OK),
                Row.of(
                        "DELETE",
                        "/api/v1/federations/" + revokedFederation + "/enrollment-tokens/" + revokedEnrollmentToken,
                        null,
                        FORBIDDEN,
                        FORBIDDEN,
                        FORBIDDEN,
                        NO_CONTENT),
                Row.of(
                        "POST",
                        "/api/v1/federations/" + revokedFederation + "/clients/" + revokedClient + "/revoke",
                        "",
                        FORBIDDEN,
                        FORBIDDEN,
                        FORBIDDEN,
                        NO_CONTENT),
                Row.of("GET", "/api/v1/audit", null, FORBIDDEN, FORBIDDEN, OK, OK),
                Row.of("POST", "/api/v1/agent/heartbeat", "{}", OK, OK, FORBIDDEN, FORBIDDEN),
                // the open endpoints: whatever the caller's token, the endpoint itself answers
                Row.open(
                        "POST",
                        "/api/v1/agent/enroll",
                        "application/json",
                        "{\"token\":\"ftet_not-a-token\",\"name\":\"intruder\"}",
                        new Expect(401, "urn:fedtune:problem:invalid-enrollment-token")),
                Row.open(
                        "POST",
                        "/oauth2/token",
                        "application/x-www-form-urlencoded",
                        "grant_type=client_credentials&client_id=matrix&client_secret=wrong",
                        new Expect(401, "urn:fedtune:problem:invalid-client")),
                Row.open("GET", "/oauth2/jwks", null, null, OK),
                Row.open("GET", "/.well-known/openid-configuration", null, null, OK),
                Row.of("GET", "/api/v1/agent/tasks/next?wait=0", null, ALLOWED, ALLOWED, FORBIDDEN, FORBIDDEN),
                Row.of("GET", agentA + "/adapters/0", null, FORBIDDEN, ALLOWED, ALLOWED, ALLOWED),
                new Row(
                        "PUT",
                        agentA + "/rounds/1/update",
                        "application/octet-stream",
                        () -> new byte[64],
                        Row.expectations(FORBIDDEN, ALLOWED, FORBIDDEN, FORBIDDEN)),
                Row.of(
                        "POST",
                        agentA + "/rounds/1/failure",
                        json.writeValueAsString(new FailureReport(FailureReason.OUT_OF_MEMORY, "matrix")),
                        FORBIDDEN,
                        ALLOWED,
                        FORBIDDEN,
                        FORBIDDEN));
    }

    static List<Row> registryRows() {
        String a = "/api/v1/adapters/" + federation;
        String model = "{\"name\":\"matrix-model\",\"architecture\":\"llama\",\"sourceUri\":\"file:///models/m\"}";
        return List.of(
                Row.of("GET", "/api/v1/models", null, OK, OK, OK, OK),
                Row.of("POST", "/api/v1/models", model, FORBIDDEN, FORBIDDEN, FORBIDDEN, CREATED),
                Row.of("GET", "/api/v1/models/matrix-model", null, ALLOWED, ALLOWED, ALLOWED, ALLOWED),
                Row.of("GET", "/api/v1/models/matrix-archived/archive", null, OK, OK, OK, OK),
                new Row(
                        "PUT",
                        "/api/v1/models/matrix-unarchived/archive",
                        "application/octet-stream",
                        () -> new byte[64],
                        Row.expectations(FORBIDDEN, FORBIDDEN, FORBIDDEN, CREATED)),
                Row.of(
                        "POST",
                        "/api/v1/models/matrix-model/deprecate",
                        "{\"reason\":\"matrix\"}",
                        FORBIDDEN,
                        FORBIDDEN,
                        FORBIDDEN,
                        ALLOWED),
                Row.of("GET", "/api/v1/adapters", null, FORBIDDEN, FORBIDDEN, OK, OK),
                Row.of("GET", a, null, FORBIDDEN, ALLOWED, ALLOWED, ALLOWED),
                Row.of("GET", a + "/versions", null, FORBIDDEN, ALLOWED, ALLOWED, ALLOWED),
                Row.of("GET", a + "/versions/1", null, FORBIDDEN, ALLOWED, ALLOWED, ALLOWED),
                Row.of("GET", a + "/versions/1/adapter.safetensors", null, FORBIDDEN, ALLOWED, ALLOWED, ALLOWED),
                Row.of("GET", a + "/versions/1/peft.zip", null, FORBIDDEN, ALLOWED, ALLOWED, ALLOWED),
                Row.of("GET", a + "/versions/1/lineage", null, FORBIDDEN, ALLOWED, ALLOWED, ALLOWED),
                Row.of("GET", a + "/versions/1/compare?with=2", null, FORBIDDEN, ALLOWED, ALLOWED, ALLOWED),
                Row.of("GET", a + "/latest", null, FORBIDDEN, ALLOWED, ALLOWED, ALLOWED),
                Row.of("GET", a + "/latest/adapter.safetensors", null, FORBIDDEN, ALLOWED, ALLOWED, ALLOWED),
                Row.of("GET", a + "/latest/peft.zip", null, FORBIDDEN, ALLOWED, ALLOWED, ALLOWED),
                Row.of("GET", a + "/tags", null, FORBIDDEN, ALLOWED, ALLOWED, ALLOWED),
                Row.of("GET", a + "/tags/best", null, FORBIDDEN, ALLOWED, ALLOWED, ALLOWED),
                Row.of("GET", a + "/tags/best/adapter.safetensors", null, FORBIDDEN, ALLOWED, ALLOWED, ALLOWED),
                Row.of("GET", a + "/tags/best/peft.zip", null, FORBIDDEN, ALLOWED, ALLOWED, ALLOWED),
                new Row(
                        "POST",
                        a + "/versions",
                        "application/octet-stream",
                        () -> new byte[64],
                        Row.expectations(FORBIDDEN, FORBIDDEN, FORBIDDEN, ALLOWED)),
                Row.of("PUT", a + "/tags/best", "{\"version\":1}", FORBIDDEN, FORBIDDEN, FORBIDDEN, ALLOWED),
                Row.of("DELETE", a + "/tags/best", null, FORBIDDEN, FORBIDDEN, FORBIDDEN, ALLOWED),
                Row.of("POST", "/api/v1/adapters/retention", null, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK),
                Row.of("GET", "/api/v1/adapters/audit", null, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK));
    }

    @Test
    void everyCallerGetsTheExpectedAnswerFromEveryRegistryEndpoint() {
        assertMatrix(registryRows());
    }

    @Test
    void everyCallerGetsTheExpectedAnswerFromEveryAggregatorEndpoint() {
        assertMatrix(aggregatorRows());
    }

    @Test
    void everyEndpointThatTheServicesDeclareHasARowInTheMatrix() {
        assertThat(endpointsWithoutRow("io.fedtune.aggregator", aggregatorRows()))
                .as("aggregator endpoints with no row")
                .isEmpty();
        assertThat(endpointsWithoutRow("io.fedtune.registry", registryRows()))
                .as("registry endpoints with no row")
                .isEmpty();
    }

    /** An endpoint as a controller declares it; a row covers it when its path is one the endpoint would answer. */
    record Endpoint(String method, String pattern) {

        boolean answers(Row row) {
            return (method.equals(row.method()) || method.equals("ANY"))
                    && parsed().matches(PathContainer.parsePath(
                            URI.create(row.path()).getPath()));
        }

        PathPattern parsed() {
            return PathPatternParser.defaultInstance.parse(pattern);
        }

        @Override
        public String toString() {
            return method + " " + pattern;
        }
    }

    /** The endpoints of the {@code @RestController}s in a package, read from their mapping annotations. */
    static List<Endpoint> endpoints(String basePackage) {
        ClassPathScanningCandidateComponentProvider scanner = new ClassPathScanningCandidateComponentProvider(false);
        scanner.addIncludeFilter(new AnnotationTypeFilter(RestController.class));
        List<Endpoint> endpoints = new ArrayList<>();
        for (BeanDefinition candidate : scanner.findCandidateComponents(basePackage)) {
            Class<?> controller =
                    ClassUtils.resolveClassName(candidate.getBeanClassName(), AccessMatrixTests.class.getClassLoader());
            for (Method handler : controller.getDeclaredMethods()) {
                RequestMapping mapping = AnnotatedElementUtils.findMergedAnnotation(handler, RequestMapping.class);
                if (mapping == null) {
                    continue;
                }
                List<String> methods = mapping.method().length == 0
                        ? List.of("ANY")
                        : Arrays.stream(mapping.method())
                                .map(RequestMethod::name)
                                .toList();
                for (String prefix :
                        paths(AnnotatedElementUtils.findMergedAnnotation(controller, RequestMapping.class))) {
                    for (String path : paths(mapping)) {
                        for (String method : methods) {
                            endpoints.add(new Endpoint(method, prefix + path));
                        }
                    }
                }
            }
        }
        assertThat(endpoints).as("endpoints found in " + basePackage).isNotEmpty();
        return endpoints;
    }

    private static List<String> paths(RequestMapping mapping) {
        return mapping == null || mapping.path().length == 0 ? List.of("") : List.of(mapping.path());
    }

    /** The endpoints that no row reaches: a row reaches the most specific endpoint that answers its path. */
    static List<Endpoint> endpointsWithoutRow(String basePackage, List<Row> rows) {
        List<Endpoint> endpoints = endpoints(basePackage);
        Set<Endpoint> covered = new HashSet<>();
        for (Row row : rows) {
            endpoints.stream()
                    .filter(endpoint -> endpoint.answers(row))
                    .min(Comparator.comparing(Endpoint::parsed, PathPattern.SPECIFICITY_COMPARATOR))
                    .ifPresent(covered::add);
        }
        return endpoints.stream()
                .filter(endpoint -> !covered.contains(endpoint))
                .toList();
    }

    static void assertMatrix(List<Row> rows) {
        List<String> wrong = new ArrayList<>();
        int cells = 0;
        for (Row row : rows) {
            for (Map.Entry<Caller, Expect> cell : row.expected().entrySet()) {
                HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(platform.gatewayUrl() + row.path()))
                        .timeout(Duration.ofSeconds(60))
                        .method(
                                row.method(),
                                HttpRequest.BodyPublishers.ofByteArray(
                                        row.body().get()));
                if (row.contentType() != null) {
                    request.header("Content-Type", row.contentType());
                }
                String token = tokens.get(cell.getKey());
                if (token != null) {
                    request.header("Authorization", "Bearer " + token);
                }
                HttpResponse<String> response = sendRaw(request);
                cells++;
                if (!cell.getValue().matches(response)) {
                    wrong.add(row.method() + " " + row.path() + " as " + cell.getKey() + ": expected " + cell.getValue()
                            + ", got " + response.statusCode() + " " + abbreviate(response.body()));
                }
            }
        }
        assertThat(wrong).as("cells that differ from the table (of %d)", cells).isEmpty();
    }

    @Test
    void adminActionsAreAuditedWithWhoWhatWhenAndOutcomeAndOnlyReadersSeeThem() {
        HttpResponse<String> audit = send("GET", "/api/v1/audit?limit=500", tokens.get(Caller.ADMIN), null);
        assertThat(audit.statusCode()).isEqualTo(200);
        JsonNode entries = json.readTree(audit.body());
        List<String> actions = new ArrayList<>();
        for (JsonNode entry : entries) {
            if (federation.equals(entry.get("target").asString())) {
                assertThat(entry.get("actor").asString()).isEqualTo("test-admin");
                assertThat(entry.get("outcome").asString()).isNotBlank();
                assertThat(entry.get("occurredAt").asString()).isNotBlank();
                actions.add(entry.get("action").asString());
            }
        }
        assertThat(actions).contains("federation.create");
        assertThat(actions).anyMatch(action -> action.contains("start"));
        assertThat(send("GET", "/api/v1/audit", tokens.get(Caller.AGENT), null).statusCode())
                .isEqualTo(403);
        assertThat(send("GET", "/api/v1/audit", null, null).statusCode()).isEqualTo(401);
    }

    @Test
    void registryAdminActionsAreAuditedWithTheirOutcomeAndOnlyAdminsReadThem() {
        String model = "{\"name\":\"audited-model\",\"architecture\":\"llama\",\"sourceUri\":\"file:///m\"}";
        assertThat(send("POST", "/api/v1/models", tokens.get(Caller.ADMIN), model)
                        .statusCode())
                .isEqualTo(201);
        // the same again fails (the name is taken): a failed admin action is audited too
        assertThat(send("POST", "/api/v1/models", tokens.get(Caller.ADMIN), model)
                        .statusCode())
                .isEqualTo(409);

        HttpResponse<String> audit = send("GET", "/api/v1/adapters/audit?limit=1000", tokens.get(Caller.ADMIN), null);
        assertThat(audit.statusCode()).isEqualTo(200);
        List<String> outcomes = new ArrayList<>();
        for (JsonNode entry : json.readTree(audit.body())) {
            if ("model.register".equals(entry.get("action").asString())
                    && entry.get("target").asString().contains("audited-model")) {
                assertThat(entry.get("actor").asString()).isEqualTo("test-admin");
                assertThat(entry.get("occurredAt").asString()).isNotBlank();
                outcomes.add(entry.get("outcome").asString());
            }
        }
        assertThat(outcomes).hasSize(2).doesNotHaveDuplicates();
        for (Caller reader : List.of(Caller.VIEWER, Caller.AGENT)) {
            assertThat(send("GET", "/api/v1/adapters/audit", tokens.get(reader), null)
                            .statusCode())
                    .as(reader.name())
                    .isEqualTo(403);
        }
    }

    @Test
    void theGatewaysOneSwaggerUiDescribesTheRealServicesThroughTheGateway() {
        HttpResponse<String> aggregator = send("GET", "/openapi/aggregator", null, null);
        assertThat(aggregator.statusCode()).isEqualTo(200);
        JsonNode document = json.readTree(aggregator.body());
        assertThat(document.get("paths").has("/api/v1/federations")).isTrue();
        assertThat(document.at("/servers/0/url").asString()).isEqualTo("/");
        assertThat(send("GET", "/openapi/registry", null, null).statusCode()).isEqualTo(200);
        assertThat(send("GET", "/v3/api-docs/swagger-config", null, null).body())
                .contains("/openapi/aggregator")
                .contains("/openapi/registry");
    }

    static HttpResponse<String> send(String method, String path, String token, String body) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(platform.gatewayUrl() + path))
                .timeout(Duration.ofSeconds(60))
                .method(
                        method,
                        body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (body != null) {
            request.header("Content-Type", "application/json");
        }
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        return sendRaw(request);
    }

    static HttpResponse<String> sendRaw(HttpRequest.Builder request) {
        try {
            return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** The {@code type} of a ProblemDetail body, or null when the body is not one. */
    static String problemType(String body) {
        try {
            JsonNode type = json.readTree(body).get("type");
            return type == null ? null : type.asString();
        } catch (RuntimeException notJson) {
            return null;
        }
    }

    static String abbreviate(String body) {
        return body == null ? "" : body.length() > 300 ? body.substring(0, 300) + "…" : body;
    }
}
