package io.fedtune.registry.adapter;

import static org.assertj.core.api.Assertions.assertThat;

import io.fedtune.protocol.api.registry.AdapterMetrics;
import io.fedtune.protocol.api.registry.AdapterVersionRegistration;
import io.fedtune.protocol.api.registry.AdapterVersionView;
import io.fedtune.protocol.api.registry.PrivacySettings;
import io.fedtune.protocol.peft.PeftKeys;
import io.fedtune.registry.support.Adapters;
import io.fedtune.registry.support.RegistryHttp;
import io.fedtune.registry.support.RegistryHttpTests;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.SequenceInputStream;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Random;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A 1 GiB adapter through the registry and back, in a JVM whose heap is 256 MiB (the module's surefire argLine): it
 * only passes if every step streams. Prints the throughput it saw.
 */
class LargeAdapterTests extends RegistryHttpTests {

    private static final int RANK = 16;
    private static final long COLUMNS = 1L << 23;
    private static final long TENSOR_BYTES = RANK * COLUMNS * Float.BYTES;
    private static final int BLOCK = 1 << 20;

    private UUID federation;

    @AfterEach
    void removeTheGibibyte() throws IOException {
        if (federation != null) {
            for (String key : jdbc.sql("SELECT blob_key FROM adapter_version WHERE federation_id = ?")
                    .param(federation)
                    .query(String.class)
                    .list()) {
                blobs.delete(key);
            }
            jdbc.sql("DELETE FROM adapter_version WHERE federation_id = ?")
                    .param(federation)
                    .update();
        }
    }

    @Test
    void aGibibyteAdapterUploadsAndDownloadsWithAMatchingChecksumOnASmallHeap() throws Exception {
        assertThat(Runtime.getRuntime().maxMemory()).isLessThanOrEqualTo(300L << 20);
        federation = UUID.randomUUID();
        byte[] header = header();
        long size = header.length + 2 * TENSOR_BYTES;
        assertThat(size).isGreaterThan(1L << 30);

        MessageDigest expected = MessageDigest.getInstance("SHA-256");
        try (InputStream in = adapter(header)) {
            byte[] buffer = new byte[BLOCK];
            for (int n; (n = in.read(buffer)) >= 0; ) {
                expected.update(buffer, 0, n);
            }
        }
        String sha256 = HexFormat.of().formatHex(expected.digest());
        AdapterVersionRegistration metadata = new AdapterVersionRegistration(
                0,
                0,
                null,
                "large",
                "big-model",
                Adapters.loraConfig(RANK),
                "fedavg",
                PrivacySettings.none(),
                AdapterMetrics.empty(),
                sha256,
                size);

        long uploadStart = System.nanoTime();
        HttpResponse<String> upload =
                http().register(tokens.service(), federation, metadata, () -> adapter(header), size);
        double uploadSeconds = (System.nanoTime() - uploadStart) / 1e9;
        assertThat(upload.statusCode()).as(upload.body()).isEqualTo(201);
        AdapterVersionView stored = RegistryHttp.JSON.readValue(upload.body(), AdapterVersionView.class);
        assertThat(stored.sizeBytes()).isEqualTo(size);
        assertThat(stored.sha256()).isEqualTo(sha256);

        long downloadStart = System.nanoTime();
        HttpResponse<InputStream> download =
                http().getStream(stored.downloadPath(), tokens.agent("big-client", federation.toString()));
        assertThat(download.statusCode()).isEqualTo(200);
        MessageDigest received = MessageDigest.getInstance("SHA-256");
        long count;
        try (InputStream in = new DigestInputStream(download.body(), received)) {
            count = in.transferTo(OutputStream.nullOutputStream());
        }
        double downloadSeconds = (System.nanoTime() - downloadStart) / 1e9;

        assertThat(count).isEqualTo(size);
        assertThat(HexFormat.of().formatHex(received.digest())).isEqualTo(sha256);
        System.out.printf(
                "1 GiB adapter with -Xmx%dm: upload %.1f MB/s (%.1f s), download %.1f MB/s (%.1f s)%n",
                Runtime.getRuntime().maxMemory() >> 20,
                size / 1e6 / uploadSeconds,
                uploadSeconds,
                size / 1e6 / downloadSeconds,
                downloadSeconds);
    }

    /** A safetensors header for one LoRA pair of 512 MiB each, padded to 8 bytes as Hugging Face does. */
    private static byte[] header() {
        String module = "model.layers.0.self_attn.q_proj";
        String json = "{\"" + PeftKeys.loraA(module) + "\":{\"dtype\":\"F32\",\"shape\":[" + RANK + "," + COLUMNS
                + "],\"data_offsets\":[0," + TENSOR_BYTES + "]},\"" + PeftKeys.loraB(module)
                + "\":{\"dtype\":\"F32\",\"shape\":[" + COLUMNS + "," + RANK + "],\"data_offsets\":[" + TENSOR_BYTES
                + "," + 2 * TENSOR_BYTES + "]}}";
        while ((8 + json.length()) % 8 != 0) {
            json += " ";
        }
        byte[] text = json.getBytes(StandardCharsets.US_ASCII);
        return ByteBuffer.allocate(8 + text.length)
                .order(ByteOrder.LITTLE_ENDIAN)
                .putLong(text.length)
                .put(text)
                .array();
    }

    /** The adapter's bytes, generated as they are read: 1 MiB of finite floats, varied per block. */
    private static InputStream adapter(byte[] header) {
        byte[] base = new byte[BLOCK];
        ByteBuffer floats = ByteBuffer.wrap(base).order(ByteOrder.LITTLE_ENDIAN);
        Random random = new Random(42);
        for (int i = 0; i < BLOCK / Float.BYTES; i++) {
            floats.putFloat((float) random.nextGaussian() * 0.02f);
        }
        long blocks = 2 * TENSOR_BYTES / BLOCK;
        InputStream data = new InputStream() {
            private long block = -1;
            private int position = BLOCK;
            private final byte[] current = base.clone();

            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) {
                if (position == BLOCK) {
                    if (block + 1 == blocks) {
                        return -1;
                    }
                    block++;
                    ByteBuffer.wrap(current).order(ByteOrder.LITTLE_ENDIAN).putFloat(0, block);
                    position = 0;
                }
                int n = Math.min(len, BLOCK - position);
                System.arraycopy(current, position, b, off, n);
                position += n;
                return n;
            }
        };
        return new SequenceInputStream(new ByteArrayInputStream(header), data);
    }
}
