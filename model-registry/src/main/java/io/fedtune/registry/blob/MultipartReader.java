package io.fedtune.registry.blob;

import io.fedtune.registry.system.ClientGoneException;
import io.fedtune.registry.system.RegistryException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.springframework.http.HttpStatus;

/**
 * Reads a {@code multipart/form-data} body (RFC 7578) one part at a time, straight from the request stream: a part's
 * content is handed out as it arrives, never buffered whole, so a part may be far larger than the heap. Reading a
 * part to its end stops exactly at the boundary; a body that ends before its closing boundary fails with a {@link
 * ClientGoneException}, so a cut-off upload is never taken for a complete one.
 */
public final class MultipartReader {

    private static final int BUFFER = 64 * 1024;
    private static final int MAX_HEADER_BYTES = 16 * 1024;

    private final InputStream in;
    private final byte[] delimiter;
    private final byte[] buffer;
    private int position;
    private int limit;
    private boolean endOfInput;
    private boolean finished;
    private PartContent current;

    /** A reader of {@code body}, whose parts are separated by {@code boundary}. */
    public MultipartReader(InputStream body, String boundary) {
        this.in = body;
        this.delimiter = ("\r\n--" + boundary).getBytes(StandardCharsets.US_ASCII);
        this.buffer = new byte[Math.max(BUFFER, delimiter.length * 4)];
        // the body opens with "--boundary" (no line break before it): act as if one preceded it
        buffer[0] = '\r';
        buffer[1] = '\n';
        limit = 2;
    }

    /**
     * The boundary named by a {@code multipart/form-data} content type.
     *
     * @throws RegistryException (415) when the content type is not multipart/form-data with a valid boundary
     */
    public static String boundaryOf(String contentType) {
        if (contentType == null || !contentType.toLowerCase(Locale.ROOT).startsWith("multipart/form-data")) {
            throw new RegistryException(
                    HttpStatus.UNSUPPORTED_MEDIA_TYPE,
                    "unsupported-media-type",
                    "Expected multipart/form-data, got " + contentType);
        }
        String boundary = parameters(contentType).get("boundary");
        if (boundary == null || boundary.isEmpty() || boundary.length() > 70) {
            throw RegistryException.badRequest(
                    "invalid-multipart", "The multipart/form-data content type has no valid boundary");
        }
        return boundary;
    }

    /**
     * The next part, or null after the last one. The content of the part before it, if not read to its end, is
     * skipped.
     */
    public Part next() throws IOException {
        if (finished) {
            return null;
        }
        if (current != null) {
            current.skipRest();
        } else {
            skipPreamble();
        }
        if (afterDelimiterIsEnd()) {
            finished = true;
            current = null;
            return null;
        }
        Map<String, String> headers = readHeaders();
        current = new PartContent();
        Map<String, String> disposition = parameters(headers.getOrDefault("content-disposition", ""));
        return new Part(disposition.get("name"), disposition.get("filename"), headers.get("content-type"), current);
    }

    private void skipPreamble() throws IOException {
        while (true) {
            int found = indexOfDelimiter();
            if (found >= 0) {
                position = found + delimiter.length;
                return;
            }
            position = Math.max(position, limit - (delimiter.length - 1));
            if (!fill()) {
                throw new ClientGoneException("The multipart body ended before its first boundary");
            }
        }
    }

    /** After a delimiter: {@code --} closes the body, optional white space and a line break open the next part. */
    private boolean afterDelimiterIsEnd() throws IOException {
        require(2, "after a boundary");
        if (buffer[position] == '-' && buffer[position + 1] == '-') {
            position += 2;
            return true;
        }
        while (true) {
            require(1, "after a boundary");
            byte b = buffer[position];
            if (b == ' ' || b == '\t') {
                position++;
                continue;
            }
            require(2, "after a boundary");
            if (buffer[position] != '\r' || buffer[position + 1] != '\n') {
                throw RegistryException.badRequest("invalid-multipart", "A multipart boundary is not followed by CRLF");
            }
            position += 2;
            return false;
        }
    }

    private Map<String, String> readHeaders() throws IOException {
        Map<String, String> headers = new LinkedHashMap<>();
        int consumed = 0;
        while (true) {
            int end = indexOfLineEnd();
            while (end < 0) {
                if (limit - position > MAX_HEADER_BYTES - consumed) {
                    throw RegistryException.badRequest(
                            "invalid-multipart", "The headers of a multipart part are too long");
                }
                if (!fill()) {
                    throw new ClientGoneException("The multipart body ended inside the headers of a part");
                }
                end = indexOfLineEnd();
            }
            String line = new String(buffer, position, end - position, StandardCharsets.UTF_8);
            consumed += end - position + 2;
            position = end + 2;
            if (consumed > MAX_HEADER_BYTES) {
                throw RegistryException.badRequest("invalid-multipart", "The headers of a multipart part are too long");
            }
            if (line.isEmpty()) {
                return headers;
            }
            int colon = line.indexOf(':');
            if (colon <= 0) {
                throw RegistryException.badRequest("invalid-multipart", "Malformed multipart header: " + line);
            }
            headers.put(
                    line.substring(0, colon).trim().toLowerCase(Locale.ROOT),
                    line.substring(colon + 1).trim());
        }
    }

    private int indexOfLineEnd() {
        for (int i = position; i < limit - 1; i++) {
            if (buffer[i] == '\r' && buffer[i + 1] == '\n') {
                return i;
            }
        }
        return -1;
    }

    /** Where the delimiter starts in the unread bytes, or -1 when it is not wholly there. */
    private int indexOfDelimiter() {
        byte first = delimiter[0];
        int last = limit - delimiter.length;
        outer:
        for (int i = position; i <= last; i++) {
            if (buffer[i] != first) {
                continue;
            }
            for (int j = 1; j < delimiter.length; j++) {
                if (buffer[i + j] != delimiter[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    /** Makes at least {@code count} unread bytes available. */
    private void require(int count, String where) throws IOException {
        while (limit - position < count) {
            if (!fill()) {
                throw new ClientGoneException("The multipart body ended " + where);
            }
        }
    }

    /** Moves the unread bytes to the front and reads more; false at the end of the input. */
    private boolean fill() throws IOException {
        if (endOfInput) {
            return false;
        }
        if (position > 0) {
            System.arraycopy(buffer, position, buffer, 0, limit - position);
            limit -= position;
            position = 0;
        }
        int n = in.read(buffer, limit, buffer.length - limit);
        if (n < 0) {
            endOfInput = true;
            return false;
        }
        limit += n;
        return true;
    }

    /** Parameters of a header value such as {@code form-data; name="adapter"; filename="a.safetensors"}. */
    static Map<String, String> parameters(String value) {
        Map<String, String> parameters = new LinkedHashMap<>();
        int i = value.indexOf(';');
        while (i >= 0 && i < value.length()) {
            int eq = value.indexOf('=', i);
            if (eq < 0) {
                break;
            }
            String name = value.substring(i + 1, eq).trim().toLowerCase(Locale.ROOT);
            int start = eq + 1;
            String parameter;
            int next;
            if (start < value.length() && value.charAt(start) == '"') {
                StringBuilder quoted = new StringBuilder();
                int j = start + 1;
                while (j < value.length() && value.charAt(j) != '"') {
                    if (value.charAt(j) == '\\' && j + 1 < value.length()) {
                        j++;
                    }
                    quoted.append(value.charAt(j++));
                }
                parameter = quoted.toString();
                next = value.indexOf(';', j);
            } else {
                next = value.indexOf(';', start);
                parameter = (next < 0 ? value.substring(start) : value.substring(start, next)).trim();
            }
            parameters.putIfAbsent(name, parameter);
            i = next;
        }
        return parameters;
    }

    /**
     * One part of the body.
     *
     * @param name the form field name from {@code Content-Disposition}
     * @param filename the file name, if the part is a file
     * @param contentType the part's media type, if given
     * @param content its bytes, readable once, ending at the next boundary
     */
    public record Part(String name, String filename, String contentType, InputStream content) {}

    /** The content of the current part: it ends where the next delimiter starts. */
    private final class PartContent extends InputStream {

        private boolean done;

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            int n = read(one, 0, 1);
            return n < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (done || current != this) {
                return -1;
            }
            if (len == 0) {
                return 0;
            }
            int available = available0();
            if (available == 0) {
                done = true;
                position += delimiter.length;
                return -1;
            }
            int n = Math.min(available, len);
            System.arraycopy(buffer, position, b, off, n);
            position += n;
            return n;
        }

        /** Bytes of this part that can be handed out now; 0 when the delimiter is next. */
        private int available0() throws IOException {
            while (true) {
                int found = indexOfDelimiter();
                if (found >= 0) {
                    return found - position;
                }
                int safe = limit - position - (delimiter.length - 1);
                if (safe > 0) {
                    return safe;
                }
                if (!fill()) {
                    throw new ClientGoneException("The multipart body ended inside a part, before its boundary");
                }
            }
        }

        void skipRest() throws IOException {
            byte[] sink = new byte[8192];
            while (read(sink, 0, sink.length) >= 0) {
                // discard
            }
        }
    }
}
