package io.fedtune.registry.blob;

import io.fedtune.blobstore.BlobStore;
import io.fedtune.blobstore.FileSystemBlobStore;
import io.fedtune.blobstore.S3BlobStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** The registry's blob store, chosen by {@code fedtune.registry.blobs.type}: a directory or an S3 bucket. */
@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties(BlobProperties.class)
class BlobConfiguration {

    private static final Logger log = LoggerFactory.getLogger(BlobConfiguration.class);

    @Bean
    @ConditionalOnMissingBean
    BlobStore blobStore(BlobProperties properties) {
        if (properties.type() == BlobProperties.Type.S3) {
            BlobProperties.S3 s3 = properties.s3();
            S3BlobStore store = S3BlobStore.create(new S3BlobStore.Settings(
                    s3.endpoint(),
                    s3.region(),
                    s3.bucket(),
                    s3.keyPrefix(),
                    s3.accessKey(),
                    s3.secretKey(),
                    s3.pathStyle(),
                    (int) s3.partSize().toBytes()));
            if (s3.createBucket()) {
                try {
                    store.createBucketIfMissing();
                } catch (IOException e) {
                    store.close();
                    throw new UncheckedIOException(e);
                }
            }
            log.info("Blobs are stored in S3 bucket {} under {}", s3.bucket(), s3.keyPrefix());
            return store;
        }
        log.info("Blobs are stored in {}", properties.directory());
        return new FileSystemBlobStore(properties.directory());
    }
}
