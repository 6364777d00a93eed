package io.fedtune.agent.train;

/** Where local training runs: {@code auto} takes a GPU when the engine sees one. */
public enum DeviceChoice {
    AUTO,
    CPU,
    GPU
}
