package io.fedtune.trainer.eval;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.pytorch.jni.JniUtils;
import io.fedtune.trainer.data.TokenizedExample;
import io.fedtune.trainer.model.PretrainedModel;
import io.fedtune.trainer.peft.Adapter;
import io.fedtune.trainer.peft.PeftKind;
import io.fedtune.trainer.peft.PeftState;
import io.fedtune.trainer.train.CausalLmBatch;
import io.fedtune.trainer.train.FineTuner;
import java.util.List;

/** Loss and perplexity on response tokens, with or without an adapter. */
public final class Evaluator {
    private Evaluator() {}

    /**
     * Evaluates {@code model} (plus {@code adapter} when not null) on {@code examples}, truncated to the context.
     *
     * @throws IllegalArgumentException when there is nothing to score or an id is outside the vocabulary
     */
    public static EvalResult evaluate(
            PretrainedModel model, Adapter adapter, List<TokenizedExample> examples, int batchSize) {
        if (adapter == null) {
            return evaluate(model, (PeftState) null, examples, batchSize);
        }
        try (PeftState peft = PeftState.of(model, adapter)) {
            return evaluate(model, peft, examples, batchSize);
        }
    }

    /** Evaluates with live PEFT tensors (null for the base model). */
    public static EvalResult evaluate(
            PretrainedModel model, PeftState peft, List<TokenizedExample> examples, int batchSize) {
        if (batchSize <= 0) {
            throw new IllegalArgumentException("batchSize must be positive, got " + batchSize);
        }
        if (examples.isEmpty()) {
            throw new IllegalArgumentException("the evaluation data is empty");
        }
        int virtual = peft != null && peft.config().kind() == PeftKind.PROMPT_TUNING
                ? peft.config().virtualTokens()
                : 0;
        List<TokenizedExample> data =
                FineTuner.prepare(examples, model, model.config().maxPositions(), virtual, "evaluation");
        boolean gradMode = JniUtils.isGradMode();
        JniUtils.setGradMode(false);
        try {
            double nll = 0;
            long scored = 0;
            for (int start = 0; start < data.size(); start += batchSize) {
                CausalLmBatch batch = CausalLmBatch.of(data.subList(start, Math.min(data.size(), start + batchSize)));
                try (NDScope scope = new NDScope();
                        NDManager scratch = model.manager().newSubManager()) {
                    nll += batch.nllSum(scratch, model, peft, false).getFloat();
                }
                scored += batch.scoredCount();
            }
            double loss = nll / scored;
            return new EvalResult(loss, Math.exp(loss), scored);
        } finally {
            JniUtils.setGradMode(gradMode);
        }
    }
}
