package io.fedtune.agent.task;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fedtune.protocol.api.CodecSpec;
import io.fedtune.protocol.api.LoraMode;
import io.fedtune.protocol.api.PrivacyMode;
import io.fedtune.protocol.api.PrivacySpec;
import io.fedtune.protocol.api.UpdateCodec;
import io.fedtune.protocol.safetensors.FloatTensor;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class UpdateEncodingTests {

    private static final String A = "base_model.model.m.lora_A.weight";
    private static final String B = "base_model.model.m.lora_B.weight";

    private static Map<String, FloatTensor> adapter(float[] a, float[] b) {
        Map<String, FloatTensor> map = new TreeMap<>();
        map.put(A, FloatTensor.of(a, 2, a.length / 2));
        map.put(B, FloatTensor.of(b, b.length / 2, 2));
        return map;
    }

    private static float[] random(Random random, int n, double scale) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (random.nextGaussian() * scale);
        }
        return v;
    }

    @Test
    void withoutPrivacyAndWithF32TheTrainedAdapterTravelsUnchanged() {
        Random random = new Random(1);
        Map<String, FloatTensor> global = adapter(random(random, 8, 1), random(random, 8, 1));
        Map<String, FloatTensor> trained = adapter(random(random, 8, 1), random(random, 8, 1));
        UpdateEncoding.Prepared prepared = UpdateEncoding.prepare(
                LoraMode.FEDIT, PrivacySpec.none(), CodecSpec.defaults(), global, trained, null, random);
        assertThat(prepared.tensors()).isEqualTo(trained);
        assertThat(prepared.localDp()).isNull();
        assertThat(prepared.residual()).isNull();
    }

    @Test
    void localDpClipsTheDeltaToTheNormBoundBeforeAddingNoise() {
        Random random = new Random(2);
        Map<String, FloatTensor> global = adapter(new float[8], new float[8]);
        Map<String, FloatTensor> trained = adapter(random(random, 8, 5), random(random, 8, 5));
        UpdateEncoding.Prepared prepared = UpdateEncoding.prepare(
                LoraMode.FEDIT,
                new PrivacySpec(PrivacyMode.LOCAL_DP, 0.5, 1e-6, 0),
                CodecSpec.defaults(),
                global,
                trained,
                null,
                random);
        double norm = 0;
        for (FloatTensor t : prepared.tensors().values()) {
            for (float v : t.values()) {
                norm += v * v;
            }
        }
        assertThat(prepared.deltaNorm()).isGreaterThan(5);
        assertThat(Math.sqrt(norm)).isCloseTo(0.5, org.assertj.core.data.Offset.offset(1e-4));
        assertThat(prepared.localDp().clipNorm()).isEqualTo(0.5);
    }

    @Test
    void localDpNoiseHasStandardDeviationZTimesS() {
        int n = 20_000;
        Map<String, FloatTensor> global = adapter(new float[n], new float[n]);
        UpdateEncoding.Prepared prepared = UpdateEncoding.prepare(
                LoraMode.FEDIT,
                new PrivacySpec(PrivacyMode.LOCAL_DP, 2.0, 0.75, 0),
                CodecSpec.defaults(),
                global,
                global,
                null,
                new Random(3));
        double sum = 0;
        double squares = 0;
        int count = 0;
        for (FloatTensor t : prepared.tensors().values()) {
            for (float v : t.values()) {
                sum += v;
                squares += v * v;
                count++;
            }
        }
        double mean = sum / count;
        double std = Math.sqrt(squares / count - mean * mean);
        assertThat(std).isCloseTo(1.5, org.assertj.core.data.Offset.offset(0.03));
        assertThat(mean).isCloseTo(0, org.assertj.core.data.Offset.offset(0.03));
    }

    @Test
    void ffaSendsOnlyTheBMatricesAndRejectsAnANotKeptFrozenOnlyByIgnoringIt() {
        Random random = new Random(4);
        Map<String, FloatTensor> global = adapter(random(random, 8, 1), new float[8]);
        Map<String, FloatTensor> trained = adapter(random(random, 8, 1), random(random, 8, 1));
        UpdateEncoding.Prepared prepared = UpdateEncoding.prepare(
                LoraMode.FFA, PrivacySpec.none(), new CodecSpec(UpdateCodec.F16, 0), global, trained, null, random);
        assertThat(prepared.tensors()).containsOnlyKeys(B);
        assertThat(prepared.codec().name()).isEqualTo("f16");
    }

    @Test
    void topKCarriesWhatItLeftOutIntoTheNextRound() {
        Random random = new Random(5);
        Map<String, FloatTensor> global = adapter(new float[32], new float[32]);
        CodecSpec topk = new CodecSpec(UpdateCodec.TOPK, 0.25);
        Map<String, FloatTensor> round1 = adapter(random(random, 32, 1), random(random, 32, 1));
        Map<String, FloatTensor> round2 = adapter(random(random, 32, 1), random(random, 32, 1));

        UpdateEncoding.Prepared first =
                UpdateEncoding.prepare(LoraMode.FEDIT, PrivacySpec.none(), topk, global, round1, null, random);
        UpdateEncoding.Prepared second = UpdateEncoding.prepare(
                LoraMode.FEDIT, PrivacySpec.none(), topk, global, round2, first.residual(), random);

        Map<String, FloatTensor> sent1 = first.codec().reconstruct(first.tensors());
        Map<String, FloatTensor> sent2 = second.codec().reconstruct(second.tensors());
        for (String name : round1.keySet()) {
            float[] d1 = round1.get(name).values();
            float[] d2 = round2.get(name).values();
            float[] s1 = sent1.get(name).values();
            float[] s2 = sent2.get(name).values();
            float[] r = second.residual().get(name).values();
            long kept = 0;
            for (int i = 0; i < d1.length; i++) {
                // Nothing is lost: what was sent plus what is still held equals every delta so far.
                assertThat(s1[i] + s2[i] + r[i]).isCloseTo(d1[i] + d2[i], org.assertj.core.data.Offset.offset(1e-5f));
                kept += s2[i] != 0 ? 1 : 0;
            }
            assertThat(kept).isEqualTo(8);
        }
    }

    @Test
    void aNonFiniteTrainedValueIsRefused() {
        Map<String, FloatTensor> global = adapter(new float[8], new float[8]);
        float[] bad = new float[8];
        bad[3] = Float.NaN;
        assertThatThrownBy(() -> UpdateEncoding.prepare(
                        LoraMode.FEDIT,
                        PrivacySpec.none(),
                        CodecSpec.defaults(),
                        global,
                        adapter(new float[8], bad),
                        null,
                        new Random()))
                .hasMessageContaining(B)
                .hasMessageContaining("NaN");
    }
}
