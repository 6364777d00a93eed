package io.fedtune.agent;

import io.fedtune.agent.train.LocalTrainer;
import io.fedtune.agent.train.LocalTrainingRequest;
import io.fedtune.agent.train.LocalTrainingResult;
import io.fedtune.agent.train.StopSignal;
import io.fedtune.agent.train.TrainingProgressListener;
import io.fedtune.protocol.safetensors.FloatTensor;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;

/** A stand-in trainer for loop tests: adds {@code shift} to every value of the global adapter in three "steps". */
final class ShiftingTrainer implements LocalTrainer {

    final float shift;
    final AtomicInteger calls = new AtomicInteger();
    volatile LocalTrainingRequest lastRequest;

    ShiftingTrainer(float shift) {
        this.shift = shift;
    }

    @Override
    public LocalTrainingResult train(LocalTrainingRequest request, TrainingProgressListener listener, StopSignal stop) {
        calls.incrementAndGet();
        lastRequest = request;
        Map<String, FloatTensor> out = new TreeMap<>();
        request.globalAdapter().forEach((name, t) -> {
            float[] v = t.values().clone();
            for (int i = 0; i < v.length; i++) {
                v[i] += shift;
            }
            out.put(name, new FloatTensor(t.shape(), v));
        });
        for (int step = 1; step <= 3; step++) {
            listener.onStep(step, 3, 2.0 / step, 100, Duration.ZERO);
        }
        return new LocalTrainingResult(out, 12, 3, 300, 2.0, 0.6667, 0.9, false);
    }
}
