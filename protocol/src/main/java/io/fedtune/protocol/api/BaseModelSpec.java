package io.fedtune.protocol.api;

import jakarta.validation.Valid;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.Size;

/**
 * The base model a federation's adapters apply to.
 *
 * @param id the model's id in the model registry (or any name the agents resolve locally)
 * @param dims the dimensions that fix every adapter tensor's shape; needed unless {@link PeftSpec#modules()} lists the
 *     modules explicitly
 */
public record BaseModelSpec(
        @NotBlank @Size(max = 200) String id, @Valid ModelDims dims) {}
