package io.fedtune.trainer.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import io.fedtune.trainer.data.TokenizedExample;
import io.fedtune.trainer.model.PretrainedModel;
import io.fedtune.trainer.peft.PeftState;
import java.util.List;

/**
 * A padded batch of examples and the loss of a causal LM on it, counted on response tokens only. Only the scored
 * positions reach the vocabulary projection: prompt and padding positions never cost a [V×H] matmul.
 *
 * @param ids token ids [B, T], right-padded with 0
 * @param rows flat positions {@code b·T + t} whose next token is scored
 * @param targets the scored next tokens, one per row
 * @param tokens real (unpadded) tokens in the batch
 */
public record CausalLmBatch(long[] ids, int batch, int length, long[] rows, long[] targets, long tokens) {

    /** Pads {@code examples} (already truncated and checked) into one batch. */
    public static CausalLmBatch of(List<TokenizedExample> examples) {
        int b = examples.size();
        int t = 0;
        int scored = 0;
        long tokens = 0;
        for (TokenizedExample e : examples) {
            t = Math.max(t, e.tokens().length);
            scored += e.targetCount();
            tokens += e.tokens().length;
        }
        long[] ids = new long[b * t];
        long[] rows = new long[scored];
        long[] targets = new long[scored];
        int r = 0;
        for (int i = 0; i < b; i++) {
            int[] tok = examples.get(i).tokens();
            for (int p = 0; p < tok.length; p++) {
                ids[i * t + p] = tok[p];
            }
            for (int p = Math.max(1, examples.get(i).promptLength()); p < tok.length; p++) {
                rows[r] = (long) i * t + p - 1;
                targets[r] = tok[p];
                r++;
            }
        }
        return new CausalLmBatch(ids, b, t, rows, targets, tokens);
    }

    public int scoredCount() {
        return rows.length;
    }

    /**
     * The summed negative log-likelihood of the scored tokens, a scalar NDArray (differentiable when {@code training}
     * and the PEFT state has trainable tensors).
     */
    public NDArray nllSum(NDManager manager, PretrainedModel model, PeftState peft, boolean training) {
        NDArray idArray = manager.create(ids, new Shape(batch, length));
        NDArray hidden = model.hiddenStates(idArray, null, peft, training)
                .reshape(-1, model.config().hidden());
        NDArray rowArray = manager.create(rows);
        // torch.embedding(weight = hidden, indices = rows): a row gather whose gradient flows back into hidden
        NDArray selected = rowArray.getNDArrayInternal()
                .embedding(rowArray, hidden, SparseFormat.DENSE)
                .singletonOrThrow();
        NDArray logits = selected.getNDArrayInternal()
                .linear(selected, model.outputWeight(), null)
                .singletonOrThrow();
        NDArray logProbs = logits.logSoftmax(-1);
        NDArray targetArray = manager.create(targets, new Shape(targets.length, 1));
        return logProbs.gather(targetArray, 1).sum().neg();
    }
}
