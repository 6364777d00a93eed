package io.fedtune.registry.model;

import static org.assertj.core.api.Assertions.assertThat;

import io.fedtune.protocol.api.registry.BaseModelRegistration;
import io.fedtune.protocol.api.registry.BaseModelView;
import io.fedtune.protocol.api.registry.ModelDeprecation;
import io.fedtune.registry.support.RegistryHttp;
import io.fedtune.registry.support.RegistryHttpTests;
import io.fedtune.registry.support.TestHome;
import io.fedtune.testsupport.ServiceChecks;
import java.net.http.HttpResponse;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import tools.jackson.core.type.TypeReference;

class ModelApiTests extends RegistryHttpTests {

    private static BaseModelRegistration model(String name, String sha256) {
        return new BaseModelRegistration(
                name, "llama", "hf://fedtune/" + name, sha256, null, 1_100_000L, "apache-2.0", "tokenizer.json");
    }

    private static String unique(String prefix) {
        return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    private BaseModelView register(BaseModelRegistration registration) {
        HttpResponse<String> response = http().postJson("/api/v1/models", tokens.admin(), registration);
        assertThat(response.statusCode()).as(response.body()).isEqualTo(201);
        BaseModelView view = RegistryHttp.JSON.readValue(response.body(), BaseModelView.class);
        assertThat(response.headers().firstValue("Location")).hasValue("/api/v1/models/" + view.id());
        return view;
    }

    @Test
    void anAdminRegistersAModelThatEveryRoleCanReadByIdOrName() {
        BaseModelView registered = register(model(unique("tiny-llama"), null));

        assertThat(registered.architecture()).isEqualTo("llama");
        assertThat(registered.deprecated()).isFalse();
        assertThat(registered.createdBy()).isEqualTo("test-admin");
        for (String token : List.of(tokens.viewer(), tokens.service(), tokens.agent("client-1"))) {
            HttpResponse<String> byId = http().get("/api/v1/models/" + registered.id(), token);
            assertThat(byId.statusCode()).isEqualTo(200);
            assertThat(RegistryHttp.JSON.readValue(byId.body(), BaseModelView.class))
                    .isEqualTo(registered);
        }
        HttpResponse<String> byName = http().get("/api/v1/models/" + registered.name(), tokens.viewer());
        assertThat(RegistryHttp.JSON
                        .readValue(byName.body(), BaseModelView.class)
                        .id())
                .isEqualTo(registered.id());

        List<BaseModelView> all = RegistryHttp.JSON.readValue(
                http().get("/api/v1/models", tokens.viewer()).body(), new TypeReference<>() {});
        assertThat(all).extracting(BaseModelView::id).contains(registered.id());
    }

    @Test
    void aNameIsRegisteredOnceAndBadInputIsRefusedWithProblems() {
        BaseModelRegistration registration = model(unique("dup"), null);
        register(registration);

        ServiceChecks.assertProblem(http().postJson("/api/v1/models", tokens.admin(), registration), 409);
        ServiceChecks.assertProblem(http().postJson("/api/v1/models", tokens.admin(), model("has space", null)), 400);
        ServiceChecks.assertProblem(
                http().postJson("/api/v1/models", tokens.admin(), Map.of("name", "x", "unknownField", 1)), 400);
        ServiceChecks.assertProblem(http().get("/api/v1/models/" + UUID.randomUUID(), tokens.admin()), 404);
        ServiceChecks.assertProblem(http().get("/api/v1/models/no-such-model", tokens.admin()), 404);
    }

    @Test
    void onlyAnAdminWritesModels() {
        for (String token : List.of(tokens.viewer(), tokens.service(), tokens.agent("c"))) {
            ServiceChecks.assertProblem(http().postJson("/api/v1/models", token, model(unique("nope"), null)), 403);
        }
        ServiceChecks.assertProblem(http().postJson("/api/v1/models", tokens.expiredAdmin(), model("x", null)), 401);
    }

    @Test
    void aDeprecatedModelStaysReadableAndDropsOutOfTheCurrentList() {
        BaseModelView model = register(model(unique("old"), null));

        HttpResponse<String> response = http().postJson(
                        "/api/v1/models/" + model.id() + "/deprecate",
                        tokens.admin(),
                        new ModelDeprecation("superseded"));

        assertThat(response.statusCode()).isEqualTo(200);
        BaseModelView deprecated = RegistryHttp.JSON.readValue(response.body(), BaseModelView.class);
        assertThat(deprecated.deprecated()).isTrue();
        assertThat(deprecated.deprecationReason()).isEqualTo("superseded");
        assertThat(deprecated.deprecatedAt()).isNotNull();
        List<BaseModelView> current = RegistryHttp.JSON.readValue(
                http().get("/api/v1/models?deprecated=false", tokens.viewer()).body(), new TypeReference<>() {});
        assertThat(current).extracting(BaseModelView::id).doesNotContain(model.id());
        assertThat(jdbc.sql("SELECT count(*) FROM audit_entry WHERE action = 'model.deprecate' AND target = ?")
                        .param("model/" + model.id())
                        .query(Long.class)
                        .single())
                .isEqualTo(1);
    }

    @Test
    void anArchiveUploadsStreamedAndDownloadsWithRangesAndItsChecksumAsETag() throws Exception {
        byte[] archive = new byte[300_000];
        new Random(7).nextBytes(archive);
        String sha256 =
                HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(archive));
        BaseModelView model = register(model(unique("archived"), sha256));

        HttpResponse<String> upload = http().putBytes(
                        "/api/v1/models/" + model.id() + "/archive",
                        tokens.admin(),
                        archive,
                        "Content-Type",
                        "application/zip",
                        "Fedtune-Sha256",
                        sha256);

        assertThat(upload.statusCode()).as(upload.body()).isEqualTo(201);
        BaseModelView uploaded = RegistryHttp.JSON.readValue(upload.body(), BaseModelView.class);
        assertThat(uploaded.archive().sha256()).isEqualTo(sha256);
        assertThat(uploaded.archive().sizeBytes()).isEqualTo(archive.length);
        assertThat(uploaded.sizeBytes()).isEqualTo(archive.length);

        HttpResponse<byte[]> whole = http().getBytes(uploaded.archive().downloadPath(), tokens.agent("c"));
        assertThat(whole.statusCode()).isEqualTo(200);
        assertThat(whole.body()).isEqualTo(archive);
        assertThat(whole.headers().firstValue("ETag")).hasValue("\"" + sha256 + "\"");
        assertThat(whole.headers().firstValue("Content-Type")).hasValue("application/zip");

        HttpResponse<byte[]> part =
                http().getBytes(uploaded.archive().downloadPath(), tokens.viewer(), "Range", "bytes=1000-1999");
        assertThat(part.statusCode()).isEqualTo(206);
        assertThat(part.body()).isEqualTo(Arrays.copyOfRange(archive, 1000, 2000));

        ServiceChecks.assertProblem(
                http().putBytes("/api/v1/models/" + model.id() + "/archive", tokens.admin(), archive), 409);
    }

    @Test
    void anArchiveWithTheWrongChecksumIsRefusedAndNothingIsKept() throws Exception {
        BaseModelView model = register(model(unique("bad-archive"), null));
        byte[] archive = new byte[10_000];

        HttpResponse<String> upload = http().putBytes(
                        "/api/v1/models/" + model.id() + "/archive",
                        tokens.admin(),
                        archive,
                        "Fedtune-Sha256",
                        "ab".repeat(32));

        ServiceChecks.assertProblem(upload, 400);
        assertThat(upload.body()).contains("checksum-mismatch");
        BaseModelView after = RegistryHttp.JSON.readValue(
                http().get("/api/v1/models/" + model.id(), tokens.admin()).body(), BaseModelView.class);
        assertThat(after.archive()).isNull();
        assertThat(blobs.list("models/" + model.id())).isEmpty();
        assertThat(TestHome.files(blobDirectory().resolve(".tmp"))).isEmpty();
    }

    @Test
    void anArchiveOverTheLimitIsRefusedAndNothingIsKept() throws Exception {
        BaseModelView model = register(model(unique("too-big"), null));

        HttpResponse<String> upload =
                http().putBytes("/api/v1/models/" + model.id() + "/archive", tokens.admin(), new byte[2 << 20]);

        ServiceChecks.assertProblem(upload, 413);
        assertThat(blobs.list("models/" + model.id())).isEmpty();
        assertThat(TestHome.files(blobDirectory().resolve(".tmp"))).isEmpty();
    }
}
