package io.fedtune.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.apps.Deployment;
import org.junit.jupiter.api.Test;

class StrictManifestsTests {

    static final String DEPLOYMENT = """
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: demo
            spec:
              selector:
                matchLabels: {app: demo}
              template:
                metadata:
                  labels: {app: demo}
                spec:
                  containers:
                    - name: demo
                      image: demo:1
                      %s
            """;

    @Test
    void aWellFormedManifestParsesIntoItsModelClass() {
        assertThat(StrictManifests.parse("test", DEPLOYMENT.formatted("imagePullPolicy: IfNotPresent")))
                .singleElement()
                .isInstanceOf(Deployment.class);
    }

    @Test
    void aMisspeltFieldDeepInsideIsRefusedWithItsPath() {
        assertThatThrownBy(() -> StrictManifests.parse("test", DEPLOYMENT.formatted("readinesProbe: {}")))
                .hasMessageContaining("containers[0]")
                .hasMessageContaining("readinesProbe");
    }

    @Test
    void aKindTheModelDoesNotKnowIsRefused() {
        assertThatThrownBy(() -> StrictManifests.parse(
                        "test", "apiVersion: example.com/v1\nkind: Gadget\nmetadata:\n  name: g\n"))
                .hasMessageContaining("Gadget");
    }
}
