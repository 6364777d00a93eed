package io.fedtune.deploy;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Parses rendered manifests into fabric8's typed Kubernetes model and refuses anything the model does not know: a
 * misspelt field lands in a model object's {@code additionalProperties}, which must stay empty everywhere, and a kind
 * without a model class (other than the few custom resources we mean to use) is an error.
 */
final class StrictManifests {

    /** Custom resources the manifests may use on purpose: apiVersion/kind. */
    static final Set<String> ALLOWED_CUSTOM = Set.of("cert-manager.io/v1/Certificate");

    private static final KubernetesSerialization serialization = new KubernetesSerialization();

    private StrictManifests() {}

    static List<HasMetadata> parse(String source, String yaml) {
        List<HasMetadata> resources = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        for (String document : yaml.split("(?m)^---\\s*$")) {
            if (document.isBlank()) {
                continue;
            }
            HasMetadata resource = serialization.unmarshal(document, HasMetadata.class);
            String name = resource.getApiVersion() + "/" + resource.getKind() + " "
                    + resource.getMetadata().getName();
            if (resource instanceof GenericKubernetesResource
                    && !ALLOWED_CUSTOM.contains(resource.getApiVersion() + "/" + resource.getKind())) {
                problems.add(source + ": " + name + " is not a kind the Kubernetes model knows");
            } else if (!(resource instanceof GenericKubernetesResource)) {
                collectUnknownFields(resource, source + ": " + name, problems);
            }
            resources.add(resource);
        }
        if (!problems.isEmpty()) {
            throw new AssertionError("Manifests that do not parse strictly:\n" + String.join("\n", problems));
        }
        return resources;
    }

    private static void collectUnknownFields(Object value, String path, List<String> problems) {
        if (value == null) {
            return;
        }
        if (value instanceof Collection<?> items) {
            int i = 0;
            for (Object item : items) {
                collectUnknownFields(item, path + "[" + i++ + "]", problems);
            }
            return;
        }
        if (value instanceof Map<?, ?> map) {
            for (Map.Entry<?, ?> entry : map.entrySet()) {
                collectUnknownFields(entry.getValue(), path + "." + entry.getKey(), problems);
            }
            return;
        }
        if (!value.getClass().getName().startsWith("io.fabric8.kubernetes.api.model")) {
            return;
        }
        for (Method getter : value.getClass().getMethods()) {
            if (getter.getParameterCount() != 0
                    || Modifier.isStatic(getter.getModifiers())
                    || getter.getDeclaringClass() == Object.class
                    || !(getter.getName().startsWith("get"))) {
                continue;
            }
            Object child = invoke(getter, value);
            if (getter.getName().equals("getAdditionalProperties")) {
                if (child instanceof Map<?, ?> extra && !extra.isEmpty()) {
                    problems.add(path + ": unknown field(s) " + extra.keySet());
                }
                continue;
            }
            String field = Character.toLowerCase(getter.getName().charAt(3))
                    + getter.getName().substring(4);
            collectUnknownFields(child, path + "." + field, problems);
        }
    }

    private static Object invoke(Method getter, Object target) {
        try {
            return getter.invoke(target);
        } catch (IllegalAccessException | InvocationTargetException e) {
            return null;
        }
    }
}
