package io.fedtune.registry.blob;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One byte range of a representation (RFC 9110 §14): {@code first} to {@code last}, both inclusive.
 *
 * @param first the first byte
 * @param last the last byte
 */
public record ByteRange(long first, long last) {

    private static final Pattern SINGLE = Pattern.compile("bytes=\\s*(\\d*)\\s*-\\s*(\\d*)\\s*");

    /** How many bytes it covers. */
    public long length() {
        return last - first + 1;
    }

    /** The {@code Content-Range} value of this range of a representation of {@code size} bytes. */
    public String contentRange(long size) {
        return "bytes " + first + "-" + last + "/" + size;
    }

    /**
     * The single range a {@code Range} header asks for, resolved against the size.
     *
     * @return empty when the header should be ignored (absent, malformed, several ranges: the whole representation is
     *     sent, as RFC 9110 allows)
     * @throws Unsatisfiable when the range starts at or past the end
     */
    public static Optional<ByteRange> parse(String header, long size) {
        if (header == null) {
            return Optional.empty();
        }
        Matcher matcher = SINGLE.matcher(header);
        if (!matcher.matches()) {
            return Optional.empty();
        }
        String from = matcher.group(1);
        String to = matcher.group(2);
        try {
            if (from.isEmpty()) {
                if (to.isEmpty()) {
                    return Optional.empty();
                }
                long suffix = Long.parseLong(to);
                if (suffix == 0 || size == 0) {
                    throw new Unsatisfiable(size);
                }
                return Optional.of(new ByteRange(Math.max(0, size - suffix), size - 1));
            }
            long first = Long.parseLong(from);
            if (!to.isEmpty() && Long.parseLong(to) < first) {
                return Optional.empty();
            }
            if (first >= size) {
                throw new Unsatisfiable(size);
            }
            long last = to.isEmpty() ? size - 1 : Math.min(Long.parseLong(to), size - 1);
            return Optional.of(new ByteRange(first, last));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    /** A range that starts at or past the end of the representation: 416. */
    public static final class Unsatisfiable extends RuntimeException {

        private final long size;

        Unsatisfiable(long size) {
            super("The requested range starts at or past the end of the " + size + " bytes");
            this.size = size;
        }

        public long size() {
            return size;
        }
    }
}
