package io.fedtune.protocol.checksum;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class Sha256Tests {

    private static final String EMPTY = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    private static final String ABC = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
    private static final String TWO_BLOCKS = "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1";
    private static final String MILLION_A = "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0";

    @Test
    void hexOfKnownInputsMatchesTheFipsVectors() {
        assertThat(Sha256.hex(new byte[0])).isEqualTo(EMPTY);
        assertThat(Sha256.hex("abc")).isEqualTo(ABC);
        assertThat(Sha256.hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"))
                .isEqualTo(TWO_BLOCKS);
    }

    @Test
    void inputStreamHashesAMillionBytesReadInPiecesAndSkipped() throws IOException {
        byte[] million = new byte[1_000_000];
        Arrays.fill(million, (byte) 'a');
        Sha256InputStream in = new Sha256InputStream(new ByteArrayInputStream(million));
        assertThat(in.read()).isEqualTo('a');
        assertThat(in.readNBytes(4095)).hasSize(4095);
        assertThat(in.skip(500_000)).isEqualTo(500_000);
        in.transferTo(OutputStreamSink.INSTANCE);

        assertThat(in.digest()).isEqualTo(new ContentDigest(MILLION_A, 1_000_000));
    }

    @Test
    void outputStreamHashesWhatPassesThroughAndForwardsIt() throws IOException {
        ByteArrayOutputStream target = new ByteArrayOutputStream();
        Sha256OutputStream out = new Sha256OutputStream(target);
        out.write('a');
        out.write("bc".getBytes(StandardCharsets.US_ASCII));

        assertThat(out.digest()).isEqualTo(new ContentDigest(ABC, 3));
        assertThat(target.toString(StandardCharsets.US_ASCII)).isEqualTo("abc");
    }

    @Test
    void aDigestOnceTakenIsFinal() throws IOException {
        Sha256OutputStream out = new Sha256OutputStream(new ByteArrayOutputStream());
        out.write(1);
        out.digest();

        assertThatThrownBy(() -> out.write(2)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void aFileLargerThanTheBufferIsHashedAsAStream(@TempDir Path directory) throws IOException {
        byte[] bytes = new byte[(3 << 20) + 123];
        new Random(7).nextBytes(bytes);
        Path file = Files.write(directory.resolve("blob"), bytes);

        assertThat(Sha256.of(file)).isEqualTo(new ContentDigest(Sha256.hex(bytes), bytes.length));
        try (InputStream in = Files.newInputStream(file)) {
            assertThat(Sha256.of(in).sha256()).isEqualTo(Sha256.hex(bytes));
        }
    }

    @Test
    void constantTimeComparisonIgnoresCaseAndNeverMatchesMalformedInput() {
        assertThat(Sha256.equalsConstantTime(ABC, ABC.toUpperCase())).isTrue();
        assertThat(Sha256.equalsConstantTime(ABC, EMPTY)).isFalse();
        assertThat(Sha256.equalsConstantTime(ABC, ABC.substring(1))).isFalse();
        assertThat(Sha256.equalsConstantTime(ABC, "z" + ABC.substring(1))).isFalse();
        assertThat(Sha256.equalsConstantTime(null, ABC)).isFalse();
        assertThat(new ContentDigest(ABC, 3).matches(ABC.toUpperCase())).isTrue();
    }

    @Test
    void hexParsingRejectsWrongLengthsAndCharactersByName() {
        assertThat(Sha256.toHex(Sha256.fromHex(ABC))).isEqualTo(ABC);
        assertThatThrownBy(() -> Sha256.fromHex("abc"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("64 hex characters, got 3");
        assertThatThrownBy(() -> Sha256.fromHex("g" + ABC.substring(1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'g' at index 0");
        assertThatThrownBy(() -> new ContentDigest(ABC.toUpperCase(), 3))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("lowercase hex");
    }

    /** Discards bytes. */
    private static final class OutputStreamSink extends java.io.OutputStream {
        static final OutputStreamSink INSTANCE = new OutputStreamSink();

        @Override
        public void write(int b) {}

        @Override
        public void write(byte[] b, int off, int len) {}
    }
}
