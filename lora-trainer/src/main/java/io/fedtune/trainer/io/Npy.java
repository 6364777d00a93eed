package io.fedtune.trainer.io;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Float32 matrices in NumPy's {@code .npy} format (version 1.0, little-endian, C order), so that logits can be
 * compared with {@code numpy.load} on the other side.
 */
public final class Npy {

    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    private static final Pattern HEADER = Pattern.compile(
            "\\{\\s*'descr':\\s*'<f4',\\s*'fortran_order':\\s*False,\\s*'shape':\\s*\\((\\d+),\\s*(\\d+),?\\s*\\),?\\s*}\\s*");

    private Npy() {}

    /**
     * Writes a {@code [rows][columns]} float32 array: to a temporary file next to {@code file}, then moved into
     * place, so a failure leaves nothing half-written.
     */
    public static void write(Path file, float[][] matrix) throws IOException {
        int rows = matrix.length;
        int columns = rows == 0 ? 0 : matrix[0].length;
        for (float[] row : matrix) {
            if (row.length != columns) {
                throw new IllegalArgumentException("rows of different lengths: " + columns + " and " + row.length);
            }
        }
        String dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + rows + ", " + columns + "), }";
        int unpadded = MAGIC.length + 2 + 2 + dict.length() + 1;
        String header = dict + " ".repeat((64 - unpadded % 64) % 64) + "\n";
        Path target = file.toAbsolutePath();
        Path temp = Files.createTempFile(target.getParent(), "." + target.getFileName(), ".tmp");
        try {
            try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(temp), 1 << 16)) {
                out.write(MAGIC);
                out.write(new byte[] {1, 0});
                byte[] headerBytes = header.getBytes(StandardCharsets.US_ASCII);
                out.write(headerBytes.length & 0xff);
                out.write(headerBytes.length >>> 8);
                out.write(headerBytes);
                ByteBuffer buffer =
                        ByteBuffer.allocate(Math.max(4, columns * 4)).order(ByteOrder.LITTLE_ENDIAN);
                for (float[] row : matrix) {
                    buffer.clear();
                    buffer.asFloatBuffer().put(row);
                    out.write(buffer.array(), 0, columns * 4);
                }
            }
            try {
                Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    /** Reads a 2-D little-endian float32 C-order array as written by {@code numpy.save} or {@link #write}. */
    public static float[][] read(Path file) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        ByteBuffer buffer = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        for (byte b : MAGIC) {
            if (!buffer.hasRemaining() || buffer.get() != b) {
                throw new IOException(file + ": not a .npy file");
            }
        }
        int major = buffer.get();
        buffer.get();
        int headerLength = major == 1 ? Short.toUnsignedInt(buffer.getShort()) : buffer.getInt();
        String header = new String(bytes, buffer.position(), headerLength, StandardCharsets.ISO_8859_1);
        Matcher matcher = HEADER.matcher(header);
        if (!matcher.matches()) {
            throw new IOException(file + ": only 2-D little-endian float32 C-order arrays are read, header: " + header);
        }
        int rows = Integer.parseInt(matcher.group(1));
        int columns = Integer.parseInt(matcher.group(2));
        buffer.position(buffer.position() + headerLength);
        if (buffer.remaining() != (long) rows * columns * 4) {
            throw new IOException(
                    file + ": expected " + rows * columns * 4L + " data bytes, found " + buffer.remaining());
        }
        float[][] matrix = new float[rows][columns];
        var floats = buffer.asFloatBuffer();
        for (float[] row : matrix) {
            floats.get(row);
        }
        return matrix;
    }
}
