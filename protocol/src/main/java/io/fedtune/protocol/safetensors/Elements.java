package io.fedtune.protocol.safetensors;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Bulk decoding of little-endian tensor bytes into primitive arrays, shared by the file and stream readers. Each method
 * consumes {@code count} elements from {@code source} (which must be little-endian) and advances its position.
 */
final class Elements {

    /** Largest array Java reliably allocates. */
    static final int MAX_ARRAY_LENGTH = Integer.MAX_VALUE - 8;

    private Elements() {}

    static void floats(DType dtype, ByteBuffer source, float[] target, int offset, int count) {
        switch (dtype) {
            case F32 -> {
                source.asFloatBuffer().get(target, offset, count);
                source.position(source.position() + count * 4);
            }
            case F16 -> {
                for (int i = 0; i < count; i++) {
                    target[offset + i] = Float16.toFloat(source.getShort());
                }
            }
            case BF16 -> {
                for (int i = 0; i < count; i++) {
                    target[offset + i] = Float.intBitsToFloat((source.getShort() & 0xFFFF) << 16);
                }
            }
            default -> throw new IllegalArgumentException(dtype + " is not a floating-point type");
        }
    }

    static void longs(DType dtype, ByteBuffer source, long[] target, int offset, int count) {
        switch (dtype) {
            case I64 -> {
                source.asLongBuffer().get(target, offset, count);
                source.position(source.position() + count * 8);
            }
            case I32 -> {
                for (int i = 0; i < count; i++) {
                    target[offset + i] = source.getInt();
                }
            }
            case I8 -> {
                for (int i = 0; i < count; i++) {
                    target[offset + i] = source.get();
                }
            }
            case U8 -> {
                for (int i = 0; i < count; i++) {
                    target[offset + i] = source.get() & 0xFF;
                }
            }
            default -> throw new IllegalArgumentException(dtype + " is not an integer type");
        }
    }

    static void ints(DType dtype, ByteBuffer source, int[] target, int offset, int count) {
        switch (dtype) {
            case I32 -> {
                source.asIntBuffer().get(target, offset, count);
                source.position(source.position() + count * 4);
            }
            case I8 -> {
                for (int i = 0; i < count; i++) {
                    target[offset + i] = source.get();
                }
            }
            case U8 -> {
                for (int i = 0; i < count; i++) {
                    target[offset + i] = source.get() & 0xFF;
                }
            }
            default -> throw new IllegalArgumentException(dtype + " does not fit an int");
        }
    }

    /**
     * Decodes booleans, returning the index (relative to {@code offset}) of the first byte that is neither 0 nor 1, or
     * -1 when all are valid.
     */
    static int booleans(ByteBuffer source, boolean[] target, int offset, int count) {
        for (int i = 0; i < count; i++) {
            byte b = source.get();
            if (b != 0 && b != 1) {
                return i;
            }
            target[offset + i] = b == 1;
        }
        return -1;
    }

    static boolean readsAsFloats(DType dtype) {
        return dtype.isFloatingPoint();
    }

    static boolean readsAsLongs(DType dtype) {
        return dtype == DType.I64 || dtype == DType.I32 || dtype == DType.I8 || dtype == DType.U8;
    }

    static boolean readsAsInts(DType dtype) {
        return dtype == DType.I32 || dtype == DType.I8 || dtype == DType.U8;
    }

    /** A little-endian heap buffer for chunked reads, a whole number of elements long. */
    static ByteBuffer chunkBuffer(long byteSize, int elementSize, int maxChunk) {
        long capacity = Math.min(byteSize, maxChunk - (maxChunk % elementSize));
        return ByteBuffer.allocate((int) Math.max(capacity, 0)).order(ByteOrder.LITTLE_ENDIAN);
    }
}
