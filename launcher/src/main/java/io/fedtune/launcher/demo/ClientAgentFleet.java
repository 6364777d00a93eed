package io.fedtune.launcher.demo;

import io.fedtune.agent.AgentListener;
import io.fedtune.agent.AgentRunner;
import io.fedtune.agent.Agents;
import io.fedtune.agent.LocalTrainers;
import io.fedtune.agent.RoundEvent;
import io.fedtune.agent.train.DeviceChoice;
import io.fedtune.agent.train.LocalTrainer;
import io.fedtune.agent.train.TrainerSettings;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * The real client agent ({@link Agents}, {@link AgentRunner}) for each seat, on its own thread. The agents share one
 * local trainer, so the base model is loaded once in this JVM; each still enrolls, authenticates, polls, downloads
 * and uploads over HTTP through the gateway on its own.
 */
final class ClientAgentFleet implements DemoAgents {

    @Override
    public Fleet launch(String gatewayUrl, Path modelDirectory, List<Seat> seats, Events events) {
        LocalTrainer lora = LocalTrainers.lora();
        LocalTrainer trainer = (request, listener, stop) -> {
            DemoCompute.LOCK.lock();
            try {
                return lora.train(request, listener, stop);
            } finally {
                DemoCompute.LOCK.unlock();
            }
        };
        // The demo's holdout is kept apart by the demo itself: the agents train on all of their training file.
        TrainerSettings settings = new TrainerSettings(DeviceChoice.AUTO, 0, 1_000_000, 0.0, 0);
        List<AgentRunner> runners = new ArrayList<>();
        for (Seat seat : seats) {
            String name = seat.client().name();
            try {
                Agents.enroll(URI.create(gatewayUrl), seat.enrollmentToken(), name, seat.home());
            } catch (IOException | RuntimeException e) {
                throw new DemoException("Agent " + name + " could not enroll: " + e.getMessage(), e);
            }
            runners.add(Agents.runner(seat.home())
                    .setDataFile(seat.client().train())
                    .setModelDir(modelDirectory)
                    .optTrainer(trainer)
                    .optTrainerSettings(settings)
                    .optPollWait(Duration.ofSeconds(1))
                    .optListener(new AgentListener() {
                        @Override
                        public void onRound(RoundEvent event) {
                            if (event.outcome() == RoundEvent.Outcome.UPLOADED) {
                                events.trained(name, event.round(), event.steps(), event.trainLoss());
                            } else {
                                events.failed(
                                        name, "round " + event.round() + " " + event.outcome() + ": " + event.detail());
                            }
                        }
                    })
                    .build());
        }
        ExecutorService threads = Executors.newFixedThreadPool(runners.size(), runnable -> {
            Thread thread = new Thread(runnable, "demo-agent");
            thread.setDaemon(true);
            return thread;
        });
        List<Future<AgentRunner.Result>> results = new ArrayList<>();
        for (AgentRunner runner : runners) {
            results.add(threads.submit(runner::run));
        }
        return () -> {
            runners.forEach(AgentRunner::stop);
            threads.shutdown();
            try {
                if (!threads.awaitTermination(30, TimeUnit.SECONDS)) {
                    threads.shutdownNow();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                threads.shutdownNow();
            }
            if (lora instanceof AutoCloseable closeable) {
                try {
                    closeable.close();
                } catch (Exception e) {
                    // the model's native memory goes with the JVM anyway
                }
            }
            for (Future<AgentRunner.Result> result : results) {
                if (result.isDone() && !result.isCancelled()) {
                    try {
                        result.get();
                    } catch (Exception e) {
                        events.failed("agent", String.valueOf(e.getCause() == null ? e : e.getCause()));
                    }
                }
            }
        };
    }
}
