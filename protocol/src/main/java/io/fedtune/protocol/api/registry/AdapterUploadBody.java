package io.fedtune.protocol.api.registry;

import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.UUID;

/**
 * The framing of an adapter registration body, {@code POST /api/v1/adapters/{federationId}/versions}: a
 * {@code multipart/form-data} body whose first part ({@code metadata}) is the {@link AdapterVersionRegistration} JSON
 * and whose second part ({@code adapter}) is the safetensors bytes. A client sends {@link #head()}, then the adapter
 * bytes streamed from wherever they are, then {@link #tail()}, with {@link #contentType()} and, when it knows it,
 * {@link #length()} as {@code Content-Length}. With Java's HTTP client:
 *
 * <pre>{@code
 * AdapterUploadBody body = AdapterUploadBody.of(json.writeValueAsBytes(registration), sizeBytes);
 * HttpRequest.BodyPublisher publisher = HttpRequest.BodyPublishers.concat(
 *         HttpRequest.BodyPublishers.ofByteArray(body.head()),
 *         HttpRequest.BodyPublishers.fromPublisher(HttpRequest.BodyPublishers.ofInputStream(open), sizeBytes),
 *         HttpRequest.BodyPublishers.ofByteArray(body.tail()));
 * }</pre>
 *
 * @param boundary the multipart boundary
 * @param head the bytes before the adapter: boundary, the metadata part, the adapter part's headers
 * @param tail the bytes after the adapter: the closing boundary
 * @param adapterLength the length of the adapter bytes
 */
public record AdapterUploadBody(String boundary, byte[] head, byte[] tail, long adapterLength) {

    public AdapterUploadBody {
        Objects.requireNonNull(boundary, "boundary");
        Objects.requireNonNull(head, "head");
        Objects.requireNonNull(tail, "tail");
    }

    /** Frames a registration whose metadata is {@code metadataJson} (UTF-8) and whose adapter has this length. */
    public static AdapterUploadBody of(byte[] metadataJson, long adapterLength) {
        String boundary = "fedtune-" + UUID.randomUUID();
        byte[] opening = ("--" + boundary + "\r\n"
                        + "Content-Disposition: form-data; name=\"" + RegistryApi.METADATA_PART + "\"\r\n"
                        + "Content-Type: application/json\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII);
        byte[] between = ("\r\n--" + boundary + "\r\n"
                        + "Content-Disposition: form-data; name=\"" + RegistryApi.ADAPTER_PART
                        + "\"; filename=\"adapter_model.safetensors\"\r\n"
                        + "Content-Type: application/octet-stream\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII);
        byte[] head = new byte[opening.length + metadataJson.length + between.length];
        System.arraycopy(opening, 0, head, 0, opening.length);
        System.arraycopy(metadataJson, 0, head, opening.length, metadataJson.length);
        System.arraycopy(between, 0, head, opening.length + metadataJson.length, between.length);
        byte[] tail = ("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.US_ASCII);
        return new AdapterUploadBody(boundary, head, tail, adapterLength);
    }

    /** The {@code Content-Type} header of the request. */
    public String contentType() {
        return "multipart/form-data; boundary=" + boundary;
    }

    /** The whole body's length, for {@code Content-Length}. */
    public long length() {
        return head.length + adapterLength + tail.length;
    }
}
