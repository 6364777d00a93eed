package io.fedtune.gateway.system;

import io.fedtune.testsupport.ServiceContractTests;
import org.springframework.boot.test.context.SpringBootTest;

@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class ServiceStartsTests extends ServiceContractTests {

    @Override
    protected String schema() {
        return "gateway";
    }

    @Override
    protected String firstTable() {
        return "rate_limit_override";
    }
}
