package io.fedtune.agent.task;

import io.fedtune.protocol.api.CodecSpec;
import io.fedtune.protocol.api.LoraMode;
import io.fedtune.protocol.api.PrivacyMode;
import io.fedtune.protocol.api.PrivacySpec;
import io.fedtune.protocol.api.UpdateCodec;
import io.fedtune.protocol.api.UpdateMetadata;
import io.fedtune.protocol.codec.TopKCodec;
import io.fedtune.protocol.codec.UpdateCodecs;
import io.fedtune.protocol.safetensors.FloatTensor;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

/**
 * Turns a trained adapter into what goes on the wire, in this order: keep the tensors the LoRA mode aggregates
 * (FFA-LoRA: only lora_B), take the delta to the global adapter, apply local DP when the task asks for it (clip the
 * delta to L2 norm S, then add Gaussian noise of standard deviation z·S to every coordinate: the Gaussian mechanism of
 * DP-FedAvg, McMahan et al., arXiv 1710.06963, run on the client), then pick the codec's payload: the adapter
 * (global + delta) for {@code f32}, {@code f16}, {@code int8}; for {@code topk} the delta plus the residual that
 * earlier rounds' top-k left out (error feedback), keeping what this round leaves out for the next.
 */
public final class UpdateEncoding {

    private UpdateEncoding() {}

    /**
     * The payload and what to remember.
     *
     * @param tensors what to encode
     * @param codec the codec, with the task's parameters
     * @param wireCodec the codec's name on the wire
     * @param residual the top-k residual to keep for the next round, or null
     * @param localDp what local DP was applied, or null
     * @param deltaNorm the L2 norm of the delta before any clipping (stays on this machine)
     */
    public record Prepared(
            Map<String, FloatTensor> tensors,
            io.fedtune.protocol.codec.UpdateCodec codec,
            UpdateCodec wireCodec,
            Map<String, FloatTensor> residual,
            UpdateMetadata.LocalDp localDp,
            double deltaNorm) {}

    /**
     * Prepares an update.
     *
     * @param global the global adapter trained from
     * @param trained the trained adapter (the same names and shapes)
     * @param residual the residual kept from earlier top-k rounds, or null
     * @param noise the source of DP noise (a {@link java.security.SecureRandom} in production)
     * @throws IllegalArgumentException when a tensor is missing, misshapen or not finite
     */
    public static Prepared prepare(
            LoraMode loraMode,
            PrivacySpec privacy,
            CodecSpec codecSpec,
            Map<String, FloatTensor> global,
            Map<String, FloatTensor> trained,
            Map<String, FloatTensor> residual,
            Random noise) {
        Map<String, float[]> delta = new TreeMap<>();
        Map<String, long[]> shapes = new TreeMap<>();
        double sumSquares = 0;
        for (Map.Entry<String, FloatTensor> entry : new TreeMap<>(global).entrySet()) {
            String name = entry.getKey();
            if (loraMode == LoraMode.FFA && name.contains(".lora_A.")) {
                continue;
            }
            FloatTensor before = entry.getValue();
            FloatTensor after = trained.get(name);
            if (after == null) {
                throw new IllegalArgumentException("training produced no tensor '" + name + "'");
            }
            if (!after.sameShape(before)) {
                throw new IllegalArgumentException("tensor '" + name + "' changed shape in training");
            }
            float[] x = before.values();
            float[] y = after.values();
            float[] d = new float[y.length];
            for (int i = 0; i < y.length; i++) {
                if (!Float.isFinite(y[i])) {
                    throw new IllegalArgumentException("tensor '" + name + "' holds " + y[i] + " at element " + i);
                }
                d[i] = y[i] - x[i];
                sumSquares += (double) d[i] * d[i];
            }
            delta.put(name, d);
            shapes.put(name, before.shape());
        }
        double norm = Math.sqrt(sumSquares);
        UpdateMetadata.LocalDp applied = null;
        if (privacy != null && privacy.mode() == PrivacyMode.LOCAL_DP) {
            double clip = privacy.clipNorm();
            double sigma = privacy.noiseMultiplier() * clip;
            double scale = norm > clip ? clip / norm : 1.0;
            for (float[] d : delta.values()) {
                for (int i = 0; i < d.length; i++) {
                    d[i] = (float) (d[i] * scale + sigma * noise.nextGaussian());
                }
            }
            applied = new UpdateMetadata.LocalDp(clip, privacy.noiseMultiplier());
        }
        UpdateCodec wire = codecSpec == null ? UpdateCodec.F32 : codecSpec.upload();
        String name = wire.name().toLowerCase(Locale.ROOT);
        io.fedtune.protocol.codec.UpdateCodec codec = wire == UpdateCodec.TOPK
                ? UpdateCodecs.topK(
                        codecSpec.topkFraction() > 0 ? codecSpec.topkFraction() : UpdateCodecs.DEFAULT_TOPK_FRACTION,
                        TopKCodec.Scope.PER_TENSOR)
                : UpdateCodecs.forName(name);
        Map<String, FloatTensor> payload = new TreeMap<>();
        Map<String, FloatTensor> nextResidual = null;
        if (wire == UpdateCodec.TOPK) {
            boolean carry = residual != null && residual.keySet().equals(delta.keySet());
            for (Map.Entry<String, float[]> entry : delta.entrySet()) {
                float[] d = entry.getValue();
                if (carry) {
                    FloatTensor r = residual.get(entry.getKey());
                    if (r.size() == d.length) {
                        float[] rv = r.values();
                        for (int i = 0; i < d.length; i++) {
                            d[i] += rv[i];
                        }
                    }
                }
                payload.put(entry.getKey(), new FloatTensor(shapes.get(entry.getKey()), d));
            }
            nextResidual = codec.residual(payload);
        } else if (applied == null) {
            // Unchanged by privacy: send the trained values themselves, bit for bit.
            for (String key : delta.keySet()) {
                payload.put(key, trained.get(key));
            }
        } else {
            for (Map.Entry<String, float[]> entry : delta.entrySet()) {
                float[] d = entry.getValue();
                float[] x = global.get(entry.getKey()).values();
                float[] y = new float[d.length];
                for (int i = 0; i < d.length; i++) {
                    y[i] = x[i] + d[i];
                }
                payload.put(entry.getKey(), new FloatTensor(shapes.get(entry.getKey()), y));
            }
        }
        return new Prepared(payload, codec, wire, nextResidual, applied, norm);
    }
}
