package io.fedtune.registry.adapter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fedtune.protocol.api.registry.AdapterMetrics;
import io.fedtune.protocol.api.registry.AdapterUploadBody;
import io.fedtune.protocol.peft.PeftKeys;
import io.fedtune.protocol.safetensors.DType;
import io.fedtune.protocol.safetensors.SafetensorsWriter;
import io.fedtune.registry.support.Adapters;
import io.fedtune.registry.support.RegistryHttp;
import io.fedtune.registry.support.RegistryHttpTests;
import io.fedtune.registry.support.TestHome;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class InterruptedUploadTests extends RegistryHttpTests {

    @Test
    void anUploadWhoseConnectionIsCutHalfwayLeavesNoRowAndNoBlob() throws Exception {
        UUID federation = UUID.randomUUID();
        int columns = 1 << 17;
        Adapters.Built adapter = Adapters.build(
                new SafetensorsWriter()
                        .addFloats(
                                PeftKeys.loraA("model.layers.0.self_attn.q_proj"),
                                DType.F32,
                                new long[] {4, columns},
                                new float[4 * columns])
                        .addFloats(
                                PeftKeys.loraB("model.layers.0.self_attn.q_proj"),
                                DType.F32,
                                new long[] {columns, 4},
                                new float[4 * columns]),
                Map.of());
        AdapterUploadBody body = AdapterUploadBody.of(
                RegistryHttp.JSON.writeValueAsBytes(Adapters.metadata(adapter, 0, null, AdapterMetrics.empty())),
                adapter.bytes().length);
        int port = Integer.parseInt(http().base().substring(http().base().lastIndexOf(':') + 1));

        try (Socket socket = new Socket("127.0.0.1", port)) {
            OutputStream out = socket.getOutputStream();
            out.write(("POST /api/v1/adapters/" + federation + "/versions HTTP/1.1\r\n"
                            + "Host: 127.0.0.1:" + port + "\r\n"
                            + "Authorization: Bearer " + tokens.service() + "\r\n"
                            + "Content-Type: " + body.contentType() + "\r\n"
                            + "Content-Length: " + body.length() + "\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.write(body.head());
            out.write(adapter.bytes(), 0, adapter.bytes().length / 2);
            out.flush();
            // the registry is streaming the adapter into the store when the connection goes
            await().atMost(Duration.ofSeconds(20))
                    .until(() ->
                            !TestHome.files(blobDirectory().resolve(".tmp")).isEmpty());
        }

        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
            assertThat(TestHome.files(blobDirectory().resolve(".tmp"))).isEmpty();
            assertThat(blobs.list("adapters/" + federation)).isEmpty();
        });
        assertThat(jdbc.sql("SELECT count(*) FROM adapter_version WHERE federation_id = ?")
                        .param(federation)
                        .query(Long.class)
                        .single())
                .isZero();
        assertThat(jdbc.sql("SELECT count(*) FROM federation WHERE id = ?")
                        .param(federation)
                        .query(Long.class)
                        .single())
                .isZero();
    }
}
