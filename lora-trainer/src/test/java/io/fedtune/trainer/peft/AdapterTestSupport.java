package io.fedtune.trainer.peft;

/** Test helpers other packages' tests share. */
public final class AdapterTestSupport {
    private AdapterTestSupport() {}

    /** The adapter with non-zero B (LoRA) or perturbed prompt embeddings, so it changes the logits. */
    public static Adapter randomised(Adapter adapter) {
        if (adapter.config().kind().isLora()) {
            return AdapterTests.withRandomB(adapter);
        }
        java.util.Map<String, io.fedtune.protocol.safetensors.FloatTensor> tensors = new java.util.TreeMap<>();
        adapter.tensors().forEach((k, t) -> {
            float[] v = t.values().clone();
            for (int i = 0; i < v.length; i++) {
                v[i] += (float) Math.sin(i) * 0.5f;
            }
            tensors.put(k, new io.fedtune.protocol.safetensors.FloatTensor(t.shape(), v));
        });
        return new Adapter(adapter.config(), tensors);
    }
}
