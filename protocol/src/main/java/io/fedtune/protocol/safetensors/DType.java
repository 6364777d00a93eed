package io.fedtune.protocol.safetensors;

import java.util.Optional;

/**
 * The element types fedtune reads and writes in safetensors files, with their size and their name on the wire.
 *
 * <p>Constants are declared in the order of Hugging Face's {@code Dtype} enum (increasing alignment); the writer lays
 * tensors out in the reverse of this order, as Hugging Face does, so every tensor stays aligned to its element size.
 */
public enum DType {
    /** Boolean, one byte per element, 0 or 1. */
    BOOL("BOOL", 1),
    /** Unsigned 8-bit integer. */
    U8("U8", 1),
    /** Signed 8-bit integer. */
    I8("I8", 1),
    /** IEEE 754 half precision. */
    F16("F16", 2),
    /** bfloat16: the upper half of an IEEE 754 single. */
    BF16("BF16", 2),
    /** Signed 32-bit integer. */
    I32("I32", 4),
    /** IEEE 754 single precision. */
    F32("F32", 4),
    /** Signed 64-bit integer. */
    I64("I64", 8);

    private final String wireName;
    private final int byteSize;

    DType(String wireName, int byteSize) {
        this.wireName = wireName;
        this.byteSize = byteSize;
    }

    /** The name in a safetensors header, such as {@code "BF16"}. */
    public String wireName() {
        return wireName;
    }

    /** Bytes per element. */
    public int byteSize() {
        return byteSize;
    }

    /** Whether this is a floating-point type (F32, F16, BF16). */
    public boolean isFloatingPoint() {
        return this == F32 || this == F16 || this == BF16;
    }

    /** The type a header names, if fedtune supports it. */
    public static Optional<DType> fromWireName(String wireName) {
        for (DType type : values()) {
            if (type.wireName.equals(wireName)) {
                return Optional.of(type);
            }
        }
        return Optional.empty();
    }

    /** The wire names of all supported types, for error messages. */
    static String supportedNames() {
        StringBuilder names = new StringBuilder();
        for (DType type : values()) {
            if (names.length() > 0) {
                names.append(", ");
            }
            names.append(type.wireName);
        }
        return names.toString();
    }
}
