package io.fedtune.aggregator.system;

import io.fedtune.testsupport.ServiceContractTests;
import org.springframework.boot.test.context.SpringBootTest;

@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class ServiceStartsTests extends ServiceContractTests {

    @Override
    protected String schema() {
        return "aggregator";
    }

    @Override
    protected String firstTable() {
        return "audit_log";
    }
}
