package io.fedtune.protocol.checksum;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.security.MessageDigest;

/** An output stream that hashes and counts every byte written through it, so a writer returns its own checksum. */
public final class Sha256OutputStream extends FilterOutputStream {

    private final MessageDigest digest = Sha256.newDigest();
    private long byteCount;
    private ContentDigest result;

    /** Wraps {@code out}; closing this stream closes {@code out}. */
    public Sha256OutputStream(OutputStream out) {
        super(out);
    }

    @Override
    public void write(int b) throws IOException {
        requireOpenDigest();
        out.write(b);
        digest.update((byte) b);
        byteCount++;
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        requireOpenDigest();
        out.write(b, off, len);
        digest.update(b, off, len);
        byteCount += len;
    }

    /** Bytes written so far. */
    public long byteCount() {
        return byteCount;
    }

    /** The SHA-256 of everything written so far. After the first call the digest is final: writing more fails. */
    public ContentDigest digest() {
        if (result == null) {
            result = new ContentDigest(Sha256.toHex(digest.digest()), byteCount);
        }
        return result;
    }

    private void requireOpenDigest() {
        if (result != null) {
            throw new IllegalStateException("the digest was already taken; no more bytes can be hashed");
        }
    }
}
