package io.fedtune.registry.model;

import io.fedtune.protocol.api.registry.BaseModelView;
import java.util.Optional;
import org.springframework.stereotype.Component;

/** Finds a registered base model by id or name, for the other features of the registry (the model card). */
@Component
public class ModelLookup {

    private final ModelRepository models;

    ModelLookup(ModelRepository models) {
        this.models = models;
    }

    /** The model a federation names, when it is registered here. */
    public Optional<BaseModelView> find(String reference) {
        return models.find(reference).map(BaseModel::toView);
    }
}
