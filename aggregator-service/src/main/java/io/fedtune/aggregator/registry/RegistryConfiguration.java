package io.fedtune.aggregator.registry;

import io.fedtune.aggregator.security.TokenIssuer;
import java.net.URI;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import tools.jackson.databind.json.JsonMapper;

/** The registry client: HTTP when {@code fedtune.registry-url} is set, in memory otherwise. */
@Configuration(proxyBeanMethods = false)
class RegistryConfiguration {

    @Bean
    @ConditionalOnMissingBean
    ModelRegistryClient modelRegistryClient(
            @Value("${fedtune.registry-url:}") String registryUrl, TokenIssuer issuer, JsonMapper json) {
        if (registryUrl == null || registryUrl.isBlank()) {
            LoggerFactory.getLogger(RegistryConfiguration.class)
                    .warn("No fedtune.registry-url: global adapters are kept in this aggregator only");
            return new InMemoryModelRegistryClient();
        }
        return new HttpModelRegistryClient(
                URI.create(registryUrl), () -> issuer.service().value(), json);
    }
}
