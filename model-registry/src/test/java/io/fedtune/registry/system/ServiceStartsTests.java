package io.fedtune.registry.system;

import io.fedtune.testsupport.ServiceContractTests;
import org.springframework.boot.test.context.SpringBootTest;

@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class ServiceStartsTests extends ServiceContractTests {

    @Override
    protected String schema() {
        return "registry";
    }

    @Override
    protected String firstTable() {
        return "base_model";
    }
}
