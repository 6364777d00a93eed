package io.fedtune.blobstore;

import java.util.regex.Pattern;

/** The rules for blob keys, shared by every store so that a key valid in one is valid in all. */
public final class BlobKeys {

    private static final Pattern SEGMENT = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9._=-]{0,199}");
    private static final int MAX_LENGTH = 1000;

    private BlobKeys() {}

    /**
     * Returns the key when it is valid: slash-separated segments of letters, digits, {@code . _ - =}, no segment
     * empty or starting with a dot (so no {@code ..}), at most 1000 characters.
     *
     * @throws IllegalArgumentException otherwise
     */
    public static String check(String key) {
        if (key == null || key.isEmpty() || key.length() > MAX_LENGTH) {
            throw new IllegalArgumentException("Invalid blob key: " + key);
        }
        for (String segment : key.split("/", -1)) {
            if (!SEGMENT.matcher(segment).matches()) {
                throw new IllegalArgumentException("Invalid blob key '" + key + "': bad segment '" + segment + "'");
            }
        }
        return key;
    }

    /** Returns the prefix when it is empty or a valid key start (it may end with a slash). */
    public static String checkPrefix(String prefix) {
        if (prefix == null) {
            throw new IllegalArgumentException("Prefix must not be null");
        }
        if (prefix.isEmpty()) {
            return prefix;
        }
        String body = prefix.endsWith("/") ? prefix.substring(0, prefix.length() - 1) : prefix;
        check(body.isEmpty() ? "x" : body);
        return prefix;
    }
}
