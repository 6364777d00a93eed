package io.fedtune.aggregator.system;

import io.fedtune.blobstore.BlobStore;
import io.fedtune.blobstore.FileSystemBlobStore;
import io.fedtune.blobstore.S3BlobStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Path;
import java.time.Clock;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;
import org.springframework.scheduling.annotation.EnableScheduling;

/** The aggregator's infrastructure beans: the clock, the blob store, scheduling. */
@Configuration(proxyBeanMethods = false)
@EnableScheduling
@EnableConfigurationProperties(AggregatorProperties.class)
class SystemConfiguration {

    @Bean
    @ConditionalOnMissingBean
    Clock clock() {
        return Clock.systemUTC();
    }

    @Bean
    @ConditionalOnMissingBean
    BlobStore blobStore(AggregatorProperties properties, Environment environment) {
        AggregatorProperties.Blobs blobs = properties.blobs();
        if ("s3".equalsIgnoreCase(blobs.type())) {
            S3BlobStore store = S3BlobStore.create(new S3BlobStore.Settings(
                    blobs.s3Endpoint() == null || blobs.s3Endpoint().isBlank() ? null : URI.create(blobs.s3Endpoint()),
                    blobs.s3Region(),
                    blobs.s3Bucket(),
                    "aggregator/",
                    blobs.s3AccessKey(),
                    blobs.s3SecretKey(),
                    blobs.s3PathStyle(),
                    0));
            try {
                store.createBucketIfMissing();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return store;
        }
        if (!"filesystem".equalsIgnoreCase(blobs.type())) {
            throw new IllegalStateException(
                    "fedtune.aggregator.blobs.type must be filesystem or s3, not " + blobs.type());
        }
        Path path = blobs.path() != null
                ? blobs.path()
                : Path.of(environment.getProperty("fedtune.home", System.getProperty("user.home") + "/.fedtune"))
                        .resolve("aggregator/blobs");
        return new FileSystemBlobStore(path);
    }
}
