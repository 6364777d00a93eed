package io.fedtune.trainer.data;

import java.nio.file.Path;

/**
 * A data file that cannot be used: unreadable, empty, or a line that is not one of the supported shapes. The
 * message starts with {@code file:line:} (line 0 when the problem is the file as a whole).
 */
public final class DataFormatException extends RuntimeException {

    private final transient Path file;
    private final int line;
    private final String reason;

    public DataFormatException(Path file, int line, String reason) {
        this(file, line, reason, null);
    }

    public DataFormatException(Path file, int line, String reason, Throwable cause) {
        super(file + (line > 0 ? ":" + line : "") + ": " + reason, cause);
        this.file = file;
        this.line = line;
        this.reason = reason;
    }

    /** The data file. */
    public Path file() {
        return file;
    }

    /** The 1-based line, or 0 when the whole file is at fault. */
    public int line() {
        return line;
    }

    /** What is wrong, without the file and line. */
    public String reason() {
        return reason;
    }
}
