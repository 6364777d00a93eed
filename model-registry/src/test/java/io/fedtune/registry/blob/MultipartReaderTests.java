package io.fedtune.registry.blob;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fedtune.registry.system.ClientGoneException;
import io.fedtune.registry.system.RegistryException;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class MultipartReaderTests {

    private static final String BOUNDARY = "----fedtune-7MA4YWxkTrZu0gW";

    private static byte[] body(byte[] first, byte[] second) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(("preamble to ignore\r\n--" + BOUNDARY + "\r\n"
                        + "Content-Disposition: form-data; name=\"metadata\"\r\n"
                        + "Content-Type: application/json\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII));
        out.write(first);
        out.write(("\r\n--" + BOUNDARY + "\r\n"
                        + "Content-Disposition: form-data; name=\"adapter\"; filename=\"a;b \\\"c\\\".safetensors\"\r\n"
                        + "Content-Type: application/octet-stream\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII));
        out.write(second);
        out.write(("\r\n--" + BOUNDARY + "--\r\nepilogue").getBytes(StandardCharsets.US_ASCII));
        return out.toByteArray();
    }

    /** Hands out at most a few bytes per read, so boundaries fall across reads. */
    private static InputStream trickle(byte[] bytes, int seed) {
        Random random = new Random(seed);
        return new FilterInputStream(new ByteArrayInputStream(bytes)) {
            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                return super.read(b, off, Math.min(len, 1 + random.nextInt(7)));
            }
        };
    }

    @Test
    void readsEachPartWithItsHeadersAndExactBytes() throws IOException {
        byte[] json = "{\"version\":3}".getBytes(StandardCharsets.UTF_8);
        byte[] binary = new byte[200_000];
        new Random(1).nextBytes(binary);
        // bytes that look like the start of a boundary must pass through untouched
        byte[] lookalike = ("\r\n--" + BOUNDARY.substring(0, 20)).getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(lookalike, 0, binary, 1000, lookalike.length);

        for (int seed = 0; seed < 5; seed++) {
            MultipartReader reader = new MultipartReader(trickle(body(json, binary), seed), BOUNDARY);

            MultipartReader.Part metadata = reader.next();
            assertThat(metadata.name()).isEqualTo("metadata");
            assertThat(metadata.contentType()).isEqualTo("application/json");
            assertThat(metadata.content().readAllBytes()).isEqualTo(json);

            MultipartReader.Part adapter = reader.next();
            assertThat(adapter.name()).isEqualTo("adapter");
            assertThat(adapter.filename()).isEqualTo("a;b \"c\".safetensors");
            assertThat(adapter.content().readAllBytes()).isEqualTo(binary);

            assertThat(reader.next()).isNull();
        }
    }

    @Test
    void skipsAPartThatWasNotRead() throws IOException {
        MultipartReader reader = new MultipartReader(
                new ByteArrayInputStream(body("ignored".getBytes(), "second".getBytes())), BOUNDARY);
        reader.next();
        assertThat(reader.next().content().readAllBytes()).isEqualTo("second".getBytes());
        assertThat(reader.next()).isNull();
    }

    @Test
    void aBodyCutOffInsideAPartFailsInsteadOfEndingThePart() throws IOException {
        byte[] whole = body("{}".getBytes(), new byte[100_000]);
        byte[] cut = Arrays.copyOf(whole, whole.length / 2);
        MultipartReader reader = new MultipartReader(new ByteArrayInputStream(cut), BOUNDARY);
        reader.next().content().readAllBytes();
        InputStream content = reader.next().content();

        assertThatThrownBy(content::readAllBytes).isInstanceOf(ClientGoneException.class);
    }

    @Test
    void aBodyWithoutItsClosingBoundaryFails() throws IOException {
        byte[] whole = body("{}".getBytes(), "tail".getBytes());
        String text = new String(whole, StandardCharsets.ISO_8859_1);
        byte[] cut = text.substring(0, text.lastIndexOf("\r\n--" + BOUNDARY + "--") + 3)
                .getBytes(StandardCharsets.ISO_8859_1);
        MultipartReader reader = new MultipartReader(new ByteArrayInputStream(cut), BOUNDARY);
        reader.next();
        MultipartReader.Part last = reader.next();

        assertThatThrownBy(() -> last.content().readAllBytes()).isInstanceOf(ClientGoneException.class);
    }

    @Test
    void theBoundaryComesFromTheContentTypeAndOtherTypesAreRefused() {
        assertThat(MultipartReader.boundaryOf("multipart/form-data; boundary=\"abc def\"; charset=utf-8"))
                .isEqualTo("abc def");
        assertThat(MultipartReader.boundaryOf("Multipart/Form-Data;boundary=xyz"))
                .isEqualTo("xyz");
        assertThatThrownBy(() -> MultipartReader.boundaryOf("application/json"))
                .isInstanceOfSatisfying(
                        RegistryException.class,
                        e -> assertThat(e.status().value()).isEqualTo(415));
        assertThatThrownBy(() -> MultipartReader.boundaryOf("multipart/form-data"))
                .isInstanceOfSatisfying(
                        RegistryException.class,
                        e -> assertThat(e.status().value()).isEqualTo(400));
    }
}
