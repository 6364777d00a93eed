package io.fedtune.boot.correlation;

import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.context.annotation.Bean;

/** Servlet services log and echo the correlation id the gateway passes them (the gateway has its own filter). */
@AutoConfiguration
@ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
@ConditionalOnClass(name = "jakarta.servlet.Filter")
public class CorrelationIdAutoConfiguration {

    @Bean
    @ConditionalOnMissingBean
    CorrelationIdServletFilter correlationIdServletFilter() {
        return new CorrelationIdServletFilter();
    }
}
