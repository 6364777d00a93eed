package io.fedtune.registry.blob;

import java.net.URI;
import java.nio.file.Path;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.util.unit.DataSize;

/**
 * Where the registry keeps adapter and model bytes, and how large an upload may be.
 *
 * @param type {@code filesystem} (default) or {@code s3}
 * @param directory the filesystem store's directory (default {@code ${fedtune.home}/model-registry/blobs})
 * @param s3 the S3-compatible bucket, for {@code type=s3}
 * @param maxAdapterSize the largest adapter accepted (default 16 GB)
 * @param maxArchiveSize the largest base model archive accepted (default 64 GB)
 */
@ConfigurationProperties("fedtune.registry.blobs")
public record BlobProperties(Type type, Path directory, S3 s3, DataSize maxAdapterSize, DataSize maxArchiveSize) {

    public BlobProperties {
        type = type == null ? Type.FILESYSTEM : type;
        directory = directory == null
                ? Path.of(System.getProperty("user.home"), ".fedtune", "model-registry", "blobs")
                : directory;
        s3 = s3 == null ? new S3(null, null, null, null, null, null, null, null, null) : s3;
        maxAdapterSize = maxAdapterSize == null ? DataSize.ofGigabytes(16) : maxAdapterSize;
        maxArchiveSize = maxArchiveSize == null ? DataSize.ofGigabytes(64) : maxArchiveSize;
    }

    /** The kinds of store. */
    public enum Type {
        /** Files in {@link BlobProperties#directory()}. */
        FILESYSTEM,
        /** Objects in an S3-compatible bucket. */
        S3
    }

    /**
     * An S3-compatible bucket.
     *
     * @param endpoint the endpoint (MinIO, Ceph, ...); unset for AWS itself
     * @param region the region (default {@code us-east-1})
     * @param bucket the bucket
     * @param keyPrefix prepended to every key, ending with a slash (default {@code registry/})
     * @param accessKey the access key; unset for the AWS default credential chain
     * @param secretKey the secret key
     * @param pathStyle path-style addressing, which most on-premises servers need (default true)
     * @param partSize bytes per multipart part, at least 5 MB (default 8 MB)
     * @param createBucket create the bucket at startup when it is missing (default true)
     */
    public record S3(
            URI endpoint,
            String region,
            String bucket,
            String keyPrefix,
            String accessKey,
            String secretKey,
            Boolean pathStyle,
            DataSize partSize,
            Boolean createBucket) {

        public S3 {
            keyPrefix = keyPrefix == null ? "registry/" : keyPrefix;
            pathStyle = pathStyle == null || pathStyle;
            createBucket = createBucket == null || createBucket;
            partSize = partSize == null ? DataSize.ofMegabytes(8) : partSize;
        }
    }
}
