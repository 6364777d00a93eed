package io.fedtune.aggregator.round;

/** Reads the one form of HTTP {@code Range} header a resumed download sends: {@code bytes=first-[last]} or {@code bytes=-suffix}. */
final class ByteRanges {

    private ByteRanges() {}

    /**
     * The inclusive {@code [first, last]} bytes a {@code Range} header asks for of a file of {@code size} bytes.
     *
     * @return {@code null} when the whole file should be sent (no header, another unit, several ranges or a malformed
     *     one, which RFC 9110 lets a server ignore), an empty array when the range cannot be satisfied (416)
     */
    static long[] single(String header, long size) {
        if (header == null || !header.startsWith("bytes=") || header.indexOf(',') >= 0) {
            return null;
        }
        String spec = header.substring("bytes=".length()).trim();
        int dash = spec.indexOf('-');
        if (dash < 0) {
            return null;
        }
        try {
            String from = spec.substring(0, dash).trim();
            String to = spec.substring(dash + 1).trim();
            if (!digits(from) || !digits(to) || (from.isEmpty() && to.isEmpty())) {
                return null; // signs, spaces inside numbers, "bytes=-": malformed, so the whole file
            }
            if (from.isEmpty()) {
                long suffix = Long.parseLong(to);
                if (suffix <= 0 || size == 0) {
                    return new long[0];
                }
                return new long[] {Math.max(0, size - suffix), size - 1};
            }
            long first = Long.parseLong(from);
            long last = to.isEmpty() ? size - 1 : Math.min(Long.parseLong(to), size - 1);
            if (first < 0 || first >= size) {
                return new long[0];
            }
            return last < first ? null : new long[] {first, last};
        } catch (NumberFormatException e) {
            return null;
        }
    }

    private static boolean digits(String text) {
        return text.chars().allMatch(c -> c >= '0' && c <= '9');
    }
}
