package io.fedtune.registry.blob;

import io.fedtune.blobstore.BlobStore;
import io.fedtune.blobstore.NoSuchBlobException;
import io.fedtune.protocol.api.registry.RegistryApi;
import io.fedtune.registry.system.RegistryException;
import io.fedtune.registry.system.RegistryMetrics;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Optional;
import org.springframework.http.ContentDisposition;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Component;

/**
 * Serves a stored blob over HTTP as clients that resume and verify expect: the ETag is the quoted SHA-256,
 * {@code If-None-Match} answers 304, a single {@code Range} answers 206 (416 when it starts past the end), and
 * {@code If-Range} with another ETag falls back to the whole content. Bytes stream from the store to the socket.
 */
@Component
public class BlobDownloads {

    private static final int BUFFER = 64 * 1024;

    private final BlobStore store;
    private final RegistryMetrics metrics;

    BlobDownloads(BlobStore store, RegistryMetrics metrics) {
        this.store = store;
        this.metrics = metrics;
    }

    /**
     * What to serve.
     *
     * @param key the blob's key
     * @param size its length
     * @param sha256 its SHA-256, lower-case hex
     * @param contentType the media type to answer with
     * @param filename the file name offered for saving
     * @param immutable whether the URL always names these bytes (a version number) or may move (an alias)
     * @param kind what it is, for the bytes-served metric
     */
    public record Download(
            String key,
            long size,
            String sha256,
            String contentType,
            String filename,
            boolean immutable,
            String kind) {}

    /** The quoted entity tag of content with this SHA-256. */
    public static String etag(String sha256) {
        return "\"" + sha256 + "\"";
    }

    /** Answers the request with the blob, or a part of it. */
    public void serve(HttpServletRequest request, HttpServletResponse response, Download download) throws IOException {
        String etag = etag(download.sha256());
        response.setHeader(HttpHeaders.ETAG, etag);
        response.setHeader(HttpHeaders.ACCEPT_RANGES, "bytes");
        response.setHeader(
                HttpHeaders.CACHE_CONTROL, download.immutable() ? "private, max-age=31536000, immutable" : "no-cache");
        if (matches(request.getHeader(HttpHeaders.IF_NONE_MATCH), etag)) {
            response.setStatus(HttpStatus.NOT_MODIFIED.value());
            return;
        }
        Optional<ByteRange> range = Optional.empty();
        String ifRange = request.getHeader(HttpHeaders.IF_RANGE);
        if (ifRange == null || ifRange.trim().equals(etag)) {
            try {
                range = ByteRange.parse(request.getHeader(HttpHeaders.RANGE), download.size());
            } catch (ByteRange.Unsatisfiable e) {
                throw new RegistryException(
                                HttpStatus.REQUESTED_RANGE_NOT_SATISFIABLE, "range-not-satisfiable", e.getMessage())
                        .withHeader(HttpHeaders.CONTENT_RANGE, "bytes */" + download.size());
            }
        }
        InputStream content;
        try {
            content = range.isPresent()
                    ? store.get(download.key(), range.get().first(), range.get().length())
                    : store.get(download.key());
        } catch (NoSuchBlobException e) {
            throw new RegistryException(HttpStatus.GONE, "content-pruned", "The content was removed by retention");
        }
        try (InputStream in = content) {
            response.setHeader(RegistryApi.SHA256_HEADER, download.sha256());
            response.setHeader("Repr-Digest", "sha-256=:" + base64(download.sha256()) + ":");
            response.setHeader(
                    HttpHeaders.CONTENT_DISPOSITION,
                    ContentDisposition.attachment()
                            .filename(download.filename())
                            .build()
                            .toString());
            response.setContentType(download.contentType());
            long length = download.size();
            if (range.isPresent()) {
                response.setStatus(HttpStatus.PARTIAL_CONTENT.value());
                response.setHeader(HttpHeaders.CONTENT_RANGE, range.get().contentRange(download.size()));
                length = range.get().length();
            } else {
                response.setStatus(HttpStatus.OK.value());
            }
            response.setContentLengthLong(length);
            if ("HEAD".equals(request.getMethod())) {
                return;
            }
            copy(in, response.getOutputStream(), download.kind());
        }
    }

    /** Streams to the client, counting what was sent even when the client stops reading halfway. */
    private void copy(InputStream in, OutputStream out, String kind) throws IOException {
        byte[] buffer = new byte[BUFFER];
        long sent = 0;
        try {
            for (int n; (n = in.read(buffer)) >= 0; ) {
                out.write(buffer, 0, n);
                sent += n;
            }
            out.flush();
        } finally {
            metrics.served(kind, sent);
        }
    }

    private static boolean matches(String ifNoneMatch, String etag) {
        if (ifNoneMatch == null) {
            return false;
        }
        return Arrays.stream(ifNoneMatch.split(","))
                .map(String::trim)
                .map(tag -> tag.startsWith("W/") ? tag.substring(2) : tag)
                .anyMatch(tag -> tag.equals("*") || tag.equals(etag));
    }

    private static String base64(String hex) {
        return Base64.getEncoder().encodeToString(HexFormat.of().parseHex(hex));
    }
}
