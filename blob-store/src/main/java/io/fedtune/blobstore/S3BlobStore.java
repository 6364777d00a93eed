package io.fedtune.blobstore;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;
import software.amazon.awssdk.services.s3.model.CompletedMultipartUpload;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.NoSuchBucketException;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * A {@link BlobStore} in an S3-compatible bucket (AWS S3, MinIO, Ceph, S3Mock), on the AWS SDK v2.
 *
 * <p>A put reads the content one part at a time (bounded memory: one part buffer per put in progress). Content that
 * fits in one part is sent with a single PutObject once it is checked; longer content goes up as a multipart
 * upload that is completed only when size and checksum pass, and aborted on any failure. Either way the object
 * becomes visible all at once, as S3 promises for both.
 */
public final class S3BlobStore implements BlobStore, AutoCloseable {

    /** S3's smallest part (except the last) of a multipart upload. */
    public static final int MIN_PART_SIZE = 5 * 1024 * 1024;

    private final S3Client s3;
    private final String bucket;
    private final String keyPrefix;
    private final int partSize;
    private final boolean ownsClient;

    /**
     * Wraps a client the caller owns.
     *
     * @param s3 the client
     * @param bucket the bucket, which must exist (see {@link #createBucketIfMissing()})
     * @param keyPrefix prepended to every key (empty, or ending with a slash), so several stores can share a bucket
     * @param partSize bytes per multipart part, at least {@link #MIN_PART_SIZE}
     */
    public S3BlobStore(S3Client s3, String bucket, String keyPrefix, int partSize) {
        this(s3, bucket, keyPrefix, partSize, false);
    }

    private S3BlobStore(S3Client s3, String bucket, String keyPrefix, int partSize, boolean ownsClient) {
        if (partSize < MIN_PART_SIZE) {
            throw new IllegalArgumentException("partSize must be at least " + MIN_PART_SIZE + ": " + partSize);
        }
        if (!keyPrefix.isEmpty()) {
            BlobKeys.checkPrefix(keyPrefix);
            if (!keyPrefix.endsWith("/")) {
                throw new IllegalArgumentException("keyPrefix must end with a slash: " + keyPrefix);
            }
        }
        this.s3 = s3;
        this.bucket = bucket;
        this.keyPrefix = keyPrefix;
        this.partSize = partSize;
        this.ownsClient = ownsClient;
    }

    /** Builds a client from the settings; {@link #close()} closes it. */
    public static S3BlobStore create(Settings settings) {
        S3ClientBuilder builder = S3Client.builder()
                .region(Region.of(settings.region()))
                .forcePathStyle(settings.pathStyle())
                .credentialsProvider(credentials(settings));
        if (settings.endpoint() != null) {
            builder.endpointOverride(settings.endpoint());
        }
        return new S3BlobStore(builder.build(), settings.bucket(), settings.keyPrefix(), settings.partSize(), true);
    }

    private static AwsCredentialsProvider credentials(Settings settings) {
        if (settings.accessKey() == null || settings.accessKey().isBlank()) {
            return DefaultCredentialsProvider.builder().build();
        }
        return StaticCredentialsProvider.create(AwsBasicCredentials.create(settings.accessKey(), settings.secretKey()));
    }

    /** Creates the bucket when it does not exist yet (for local and test setups). */
    public void createBucketIfMissing() throws IOException {
        try {
            s3.headBucket(b -> b.bucket(bucket));
        } catch (NoSuchBucketException e) {
            call(() -> s3.createBucket(b -> b.bucket(bucket)));
        } catch (S3Exception e) {
            if (e.statusCode() != 404) {
                throw new IOException("Cannot reach bucket " + bucket + ": " + e.getMessage(), e);
            }
            call(() -> s3.createBucket(b -> b.bucket(bucket)));
        }
    }

    @Override
    public BlobInfo put(String key, InputStream content, PutOptions options) throws IOException {
        String objectKey = objectKey(key);
        HashingCounter counter = new HashingCounter(key, options);
        byte[] part = new byte[partSize];
        int filled = fill(content, part, counter);
        if (filled < partSize) {
            BlobInfo info = counter.finish();
            call(() -> s3.putObject(b -> b.bucket(bucket).key(objectKey), RequestBody.fromBytes(copy(part, filled))));
            return info;
        }
        String uploadId = call(() ->
                        s3.createMultipartUpload(b -> b.bucket(bucket).key(objectKey)))
                .uploadId();
        boolean completed = false;
        try {
            List<CompletedPart> parts = new ArrayList<>();
            int length = filled;
            while (length > 0) {
                int number = parts.size() + 1;
                int size = length;
                String etag = call(() -> s3.uploadPart(
                                b -> b.bucket(bucket)
                                        .key(objectKey)
                                        .uploadId(uploadId)
                                        .partNumber(number),
                                RequestBody.fromBytes(copy(part, size))))
                        .eTag();
                parts.add(CompletedPart.builder().partNumber(number).eTag(etag).build());
                length = length == partSize ? fill(content, part, counter) : 0;
            }
            BlobInfo info = counter.finish();
            call(() -> s3.completeMultipartUpload(b -> b.bucket(bucket)
                    .key(objectKey)
                    .uploadId(uploadId)
                    .multipartUpload(
                            CompletedMultipartUpload.builder().parts(parts).build())));
            completed = true;
            return info;
        } finally {
            if (!completed) {
                try {
                    s3.abortMultipartUpload(b -> b.bucket(bucket).key(objectKey).uploadId(uploadId));
                } catch (SdkException e) {
                    // the bucket's lifecycle rule for incomplete uploads is the last line of defence
                }
            }
        }
    }

    /** Reads until the buffer is full or the stream ends; returns how many bytes it holds. */
    private static int fill(InputStream content, byte[] buffer, HashingCounter counter) throws IOException {
        int filled = 0;
        while (filled < buffer.length) {
            int n = content.read(buffer, filled, buffer.length - filled);
            if (n < 0) {
                break;
            }
            counter.update(buffer, filled, n);
            filled += n;
        }
        return filled;
    }

    private static byte[] copy(byte[] buffer, int length) {
        if (length == buffer.length) {
            return buffer;
        }
        byte[] exact = new byte[length];
        System.arraycopy(buffer, 0, exact, 0, length);
        return exact;
    }

    @Override
    public InputStream get(String key) throws IOException {
        String objectKey = objectKey(key);
        try {
            return s3.getObject(b -> b.bucket(bucket).key(objectKey));
        } catch (NoSuchKeyException e) {
            throw new NoSuchBlobException(key);
        } catch (SdkException e) {
            throw new IOException("Cannot read blob " + key + ": " + e.getMessage(), e);
        }
    }

    @Override
    public InputStream get(String key, long offset, long length) throws IOException {
        if (offset < 0 || length < 0) {
            throw new IllegalArgumentException("offset and length must not be negative: " + offset + ", " + length);
        }
        OptionalLong size = size(key);
        if (size.isEmpty()) {
            throw new NoSuchBlobException(key);
        }
        long end = Math.min(size.getAsLong(), offset + length);
        if (end <= offset) {
            return InputStream.nullInputStream();
        }
        String objectKey = objectKey(key);
        String range = "bytes=" + offset + "-" + (end - 1);
        try {
            return new BoundedInputStream(
                    s3.getObject(b -> b.bucket(bucket).key(objectKey).range(range)), end - offset);
        } catch (NoSuchKeyException e) {
            throw new NoSuchBlobException(key);
        } catch (SdkException e) {
            throw new IOException("Cannot read blob " + key + ": " + e.getMessage(), e);
        }
    }

    @Override
    public OptionalLong size(String key) throws IOException {
        String objectKey = objectKey(key);
        try {
            return OptionalLong.of(
                    s3.headObject(b -> b.bucket(bucket).key(objectKey)).contentLength());
        } catch (NoSuchKeyException e) {
            return OptionalLong.empty();
        } catch (S3Exception e) {
            if (e.statusCode() == 404) {
                return OptionalLong.empty();
            }
            throw new IOException("Cannot stat blob " + key + ": " + e.getMessage(), e);
        } catch (SdkException e) {
            throw new IOException("Cannot stat blob " + key + ": " + e.getMessage(), e);
        }
    }

    @Override
    public boolean delete(String key) throws IOException {
        if (size(key).isEmpty()) {
            return false;
        }
        String objectKey = objectKey(key);
        call(() -> s3.deleteObject(b -> b.bucket(bucket).key(objectKey)));
        return true;
    }

    @Override
    public List<BlobEntry> list(String prefix) throws IOException {
        BlobKeys.checkPrefix(prefix);
        List<BlobEntry> entries = new ArrayList<>();
        try {
            for (S3Object object : s3.listObjectsV2Paginator(
                            b -> b.bucket(bucket).prefix(keyPrefix + prefix))
                    .contents()) {
                entries.add(new BlobEntry(
                        object.key().substring(keyPrefix.length()), object.size(), object.lastModified()));
            }
        } catch (SdkException e) {
            throw new IOException("Cannot list blobs under " + prefix + ": " + e.getMessage(), e);
        }
        return entries;
    }

    @Override
    public void close() {
        if (ownsClient) {
            s3.close();
        }
    }

    private String objectKey(String key) {
        return keyPrefix + BlobKeys.check(key);
    }

    private interface S3Call<T> {
        T run();
    }

    private <T> T call(S3Call<T> call) throws IOException {
        try {
            return call.run();
        } catch (SdkException e) {
            throw new IOException("S3 request to bucket " + bucket + " failed: " + e.getMessage(), e);
        }
    }

    /**
     * Where and how to reach the bucket.
     *
     * @param endpoint the S3-compatible endpoint, or null for AWS itself
     * @param region the region (any name for most S3-compatible servers)
     * @param bucket the bucket
     * @param keyPrefix prepended to every key: empty, or ending with a slash
     * @param accessKey the access key, or null for the SDK's default credential chain
     * @param secretKey the secret key
     * @param pathStyle path-style addressing (MinIO, S3Mock and most on-premises servers need it)
     * @param partSize bytes per multipart part, at least 5 MiB
     */
    public record Settings(
            URI endpoint,
            String region,
            String bucket,
            String keyPrefix,
            String accessKey,
            String secretKey,
            boolean pathStyle,
            int partSize) {

        public Settings {
            if (bucket == null || bucket.isBlank()) {
                throw new IllegalArgumentException("An S3 bucket is required");
            }
            region = region == null || region.isBlank() ? "us-east-1" : region;
            keyPrefix = keyPrefix == null ? "" : keyPrefix;
            partSize = partSize == 0 ? 8 * 1024 * 1024 : partSize;
        }
    }
}
