package io.fedtune.protocol.checksum;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * SHA-256 helpers shared by the codecs and the services: streaming digests of files and streams, lowercase hex, and a
 * constant-time comparison for checksums that come from clients.
 */
public final class Sha256 {

    /** Length of a SHA-256 in lowercase hex. */
    public static final int HEX_LENGTH = 64;

    private static final char[] HEX = "0123456789abcdef".toCharArray();
    private static final int BUFFER_SIZE = 1 << 20;

    private Sha256() {}

    /** A fresh SHA-256 {@link MessageDigest}. */
    public static MessageDigest newDigest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform must provide SHA-256", e);
        }
    }

    /** SHA-256 of {@code bytes}, as lowercase hex. */
    public static String hex(byte[] bytes) {
        return toHex(newDigest().digest(bytes));
    }

    /** SHA-256 of the UTF-8 encoding of {@code text}, as lowercase hex. */
    public static String hex(String text) {
        return hex(text.getBytes(StandardCharsets.UTF_8));
    }

    /** SHA-256 of everything left in {@code in}, read in chunks; the stream is not closed. */
    public static ContentDigest of(InputStream in) throws IOException {
        MessageDigest digest = newDigest();
        byte[] buffer = new byte[64 * 1024];
        long count = 0;
        int n;
        while ((n = in.read(buffer)) != -1) {
            digest.update(buffer, 0, n);
            count += n;
        }
        return new ContentDigest(toHex(digest.digest()), count);
    }

    /** SHA-256 of a file, streamed through a fixed-size buffer whatever the file's size. */
    public static ContentDigest of(Path file) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            return of(channel, 0, channel.size());
        }
    }

    /** SHA-256 of {@code length} bytes of {@code channel} from {@code position}, streamed; the channel is not moved. */
    public static ContentDigest of(FileChannel channel, long position, long length) throws IOException {
        MessageDigest digest = newDigest();
        ByteBuffer buffer = ByteBuffer.allocate((int) Math.min(BUFFER_SIZE, Math.max(length, 1)));
        long done = 0;
        while (done < length) {
            buffer.clear();
            buffer.limit((int) Math.min(buffer.capacity(), length - done));
            int n = channel.read(buffer, position + done);
            if (n < 0) {
                throw new IOException("file ended after " + done + " of " + length + " bytes while hashing");
            }
            buffer.flip();
            digest.update(buffer);
            done += n;
        }
        return new ContentDigest(toHex(digest.digest()), length);
    }

    /** Lowercase hex of {@code bytes}. */
    public static String toHex(byte[] bytes) {
        char[] out = new char[bytes.length * 2];
        for (int i = 0; i < bytes.length; i++) {
            out[2 * i] = HEX[(bytes[i] >> 4) & 0xF];
            out[2 * i + 1] = HEX[bytes[i] & 0xF];
        }
        return new String(out);
    }

    /**
     * The 32 bytes a 64-character hex SHA-256 stands for (either case accepted).
     *
     * @throws IllegalArgumentException when {@code hex} is not 64 hexadecimal characters
     */
    public static byte[] fromHex(String hex) {
        if (hex == null || hex.length() != HEX_LENGTH) {
            throw new IllegalArgumentException(
                    "a SHA-256 is 64 hex characters, got " + (hex == null ? "null" : hex.length() + " characters"));
        }
        byte[] out = new byte[HEX_LENGTH / 2];
        for (int i = 0; i < out.length; i++) {
            int high = Character.digit(hex.charAt(2 * i), 16);
            int low = Character.digit(hex.charAt(2 * i + 1), 16);
            if (high < 0 || low < 0) {
                throw new IllegalArgumentException("a SHA-256 is 64 hex characters, found '"
                        + hex.charAt(high < 0 ? 2 * i : 2 * i + 1) + "' at index " + (high < 0 ? 2 * i : 2 * i + 1));
            }
            out[i] = (byte) ((high << 4) | low);
        }
        return out;
    }

    /** Whether {@code text} is a SHA-256 in canonical form: exactly 64 lowercase hexadecimal characters. */
    public static boolean isHex(String text) {
        if (text == null || text.length() != HEX_LENGTH) {
            return false;
        }
        for (int i = 0; i < HEX_LENGTH; i++) {
            char c = text.charAt(i);
            if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
                return false;
            }
        }
        return true;
    }

    /**
     * Whether two hex checksums are equal, ignoring case, in time that does not depend on where they differ. Null or
     * malformed input is never equal to anything.
     */
    public static boolean equalsConstantTime(String a, String b) {
        if (a == null || b == null || a.length() != HEX_LENGTH || b.length() != HEX_LENGTH) {
            return false;
        }
        byte[] left;
        byte[] right;
        try {
            left = fromHex(a);
            right = fromHex(b);
        } catch (IllegalArgumentException e) {
            return false;
        }
        return MessageDigest.isEqual(left, right);
    }
}
