package io.fedtune.launcher.demo;

import java.nio.file.Path;
import java.util.List;

/** The demo's real parts: the client agent for the data owners, the LoRA trainer for the demo's own measurements. */
final class DemoComponents {

    private DemoComponents() {}

    static DemoAgents agents() {
        return (gatewayUrl, modelDirectory, seats, events) -> {
            throw new DemoException("The in-process agents are not wired in yet (client-agent's API)");
        };
    }

    static DemoScoring.Factory scoring() {
        return new DemoScoring.Factory() {
            @Override
            public Path generateModel(Path directory) {
                throw new DemoException("Tiny model generation is not wired in yet (lora-trainer's TinyModels)");
            }

            @Override
            public DemoScoring open(Path modelDirectory, List<DemoClient> clients, DemoPlan plan) {
                throw new DemoException("Scoring is not wired in yet (lora-trainer's Evaluator)");
            }
        };
    }
}
