package io.fedtune.launcher.demo;

/** The demo's real parts: the client agent for the data owners, the LoRA trainer for the demo's own measurements. */
final class DemoComponents {

    private DemoComponents() {}

    static DemoAgents agents() {
        return new ClientAgentFleet();
    }

    static DemoScoring.Factory scoring() {
        return TrainerScoring.factory();
    }
}
