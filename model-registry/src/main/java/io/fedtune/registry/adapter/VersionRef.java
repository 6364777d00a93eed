package io.fedtune.registry.adapter;

/**
 * How a request names a version: by number, by tag, or as {@code latest} (both null).
 *
 * @param number the version number, or null
 * @param tag the tag, or null
 */
record VersionRef(Integer number, String tag) {

    static VersionRef of(Integer number, String tag) {
        return new VersionRef(number, tag);
    }

    /** Whether the reference always names the same bytes (a number), rather than an alias that moves. */
    boolean fixed() {
        return number != null;
    }

    @Override
    public String toString() {
        return number != null ? "version " + number : tag != null ? "tag '" + tag + "'" : "latest";
    }
}
