package io.fedtune.protocol.checksum;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;

/**
 * An input stream that hashes and counts every byte that passes through it, skipped bytes included, so a service can
 * checksum an upload while it streams it elsewhere.
 */
public final class Sha256InputStream extends FilterInputStream {

    private final MessageDigest digest = Sha256.newDigest();
    private long byteCount;
    private ContentDigest result;

    /** Wraps {@code in}; closing this stream closes {@code in}. */
    public Sha256InputStream(InputStream in) {
        super(in);
    }

    @Override
    public int read() throws IOException {
        int b = in.read();
        if (b >= 0) {
            update(b);
        }
        return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        int n = in.read(b, off, len);
        if (n > 0) {
            update(b, off, n);
        }
        return n;
    }

    @Override
    public long skip(long n) throws IOException {
        byte[] buffer = new byte[(int) Math.min(Math.max(n, 0), 8192)];
        long skipped = 0;
        while (skipped < n) {
            int r = read(buffer, 0, (int) Math.min(buffer.length, n - skipped));
            if (r < 0) {
                break;
            }
            skipped += r;
        }
        return skipped;
    }

    @Override
    public boolean markSupported() {
        return false;
    }

    @Override
    public synchronized void mark(int readlimit) {}

    @Override
    public synchronized void reset() throws IOException {
        throw new IOException("mark/reset is not supported by a hashing stream");
    }

    /** Bytes read so far. */
    public long byteCount() {
        return byteCount;
    }

    /**
     * The SHA-256 of everything read so far. After the first call the digest is final: reading more fails.
     */
    public ContentDigest digest() {
        if (result == null) {
            result = new ContentDigest(Sha256.toHex(digest.digest()), byteCount);
        }
        return result;
    }

    private void update(int b) {
        requireOpenDigest();
        digest.update((byte) b);
        byteCount++;
    }

    private void update(byte[] b, int off, int len) {
        requireOpenDigest();
        digest.update(b, off, len);
        byteCount += len;
    }

    private void requireOpenDigest() {
        if (result != null) {
            throw new IllegalStateException("the digest was already taken; no more bytes can be hashed");
        }
    }
}
