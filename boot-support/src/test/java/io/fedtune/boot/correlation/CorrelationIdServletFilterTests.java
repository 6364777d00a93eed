package io.fedtune.boot.correlation;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.slf4j.MDC;
import org.springframework.mock.web.MockHttpServletRequest;
import org.springframework.mock.web.MockHttpServletResponse;

class CorrelationIdServletFilterTests {

    private final CorrelationIdServletFilter filter = new CorrelationIdServletFilter();

    @Test
    void theGatewaysIdIsInTheMdcWhileTheRequestRunsAndIsEchoed() throws Exception {
        MockHttpServletRequest request = new MockHttpServletRequest("GET", "/api/v1/federations");
        request.addHeader("X-Correlation-Id", "from-gateway-1");
        MockHttpServletResponse response = new MockHttpServletResponse();
        List<String> seen = new ArrayList<>();

        filter.doFilter(request, response, (req, res) -> seen.add(MDC.get("correlationId")));

        assertThat(seen).containsExactly("from-gateway-1");
        assertThat(response.getHeader("X-Correlation-Id")).isEqualTo("from-gateway-1");
        assertThat(MDC.get("correlationId")).isNull();
    }

    @Test
    void aRequestWithoutOneOrWithGarbageGetsAFreshId() throws Exception {
        MockHttpServletRequest request = new MockHttpServletRequest("GET", "/x");
        request.addHeader("X-Correlation-Id", "line\nbreak");
        MockHttpServletResponse response = new MockHttpServletResponse();
        List<String> seen = new ArrayList<>();

        filter.doFilter(request, response, (req, res) -> seen.add(MDC.get("correlationId")));

        assertThat(seen.get(0)).matches("[0-9a-f-]{36}");
        assertThat(response.getHeader("X-Correlation-Id")).isEqualTo(seen.get(0));
    }

    @Test
    void logLinesCarryTheIdUnlessAPatternIsConfigured() {
        org.springframework.mock.env.MockEnvironment environment = new org.springframework.mock.env.MockEnvironment();
        new CorrelationLogPattern().postProcessEnvironment(environment, null);
        assertThat(environment.getProperty("logging.pattern.correlation")).contains("%X{correlationId}");

        org.springframework.mock.env.MockEnvironment configured =
                new org.springframework.mock.env.MockEnvironment().withProperty("logging.pattern.correlation", "");
        new CorrelationLogPattern().postProcessEnvironment(configured, null);
        assertThat(configured.getProperty("logging.pattern.correlation")).isEmpty();
    }
}
