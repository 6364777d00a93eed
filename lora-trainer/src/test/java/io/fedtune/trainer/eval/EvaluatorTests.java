package io.fedtune.trainer.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.fedtune.trainer.data.TokenizedExample;
import io.fedtune.trainer.model.LoadOptions;
import io.fedtune.trainer.model.PretrainedModel;
import io.fedtune.trainer.peft.Adapter;
import io.fedtune.trainer.peft.AdapterTestSupport;
import io.fedtune.trainer.peft.PeftConfig;
import io.fedtune.trainer.peft.PeftState;
import io.fedtune.trainer.testing.ReferenceNll;
import io.fedtune.trainer.testing.Synthetic;
import io.fedtune.trainer.tiny.TinyModelSpec;
import io.fedtune.trainer.tiny.TinyModels;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EvaluatorTests {
    @TempDir
    static Path tmp;

    static PretrainedModel model;
    static List<TokenizedExample> holdout;

    @BeforeAll
    static void load() {
        model = PretrainedModel.load(
                TinyModels.write(tmp.resolve("llama"), TinyModelSpec.llama()), LoadOptions.defaults());
        holdout = Synthetic.examples(model.tokenizer().orElseThrow(), 5);
    }

    @AfterAll
    static void close() {
        model.close();
    }

    @Test
    void theLossIsTheMeanNegativeLogLikelihoodOfTheResponseTokensAndPerplexityItsExponential() {
        double nll = 0;
        long responseTokens = 0;
        for (TokenizedExample e : holdout) {
            double[] tokenNll = ReferenceNll.perToken(model, e.tokens());
            for (int p = e.promptLength(); p < e.tokens().length; p++) {
                nll += tokenNll[p];
                responseTokens++;
            }
        }
        double expectedLoss = nll / responseTokens;

        EvalResult result = Evaluator.evaluate(model, (Adapter) null, holdout, 2);

        assertThat(result.tokens()).isEqualTo(responseTokens);
        assertThat(result.loss()).isCloseTo(expectedLoss, within(1e-4));
        assertThat(result.perplexity()).isEqualTo(Math.exp(result.loss()));
        assertThat(result.perplexity()).isCloseTo(Math.exp(expectedLoss), within(1e-3 * Math.exp(expectedLoss)));
    }

    @Test
    void theResultDoesNotDependOnTheBatchSize() {
        EvalResult oneByOne = Evaluator.evaluate(model, (Adapter) null, holdout, 1);
        EvalResult allAtOnce = Evaluator.evaluate(model, (Adapter) null, holdout, holdout.size());

        assertThat(allAtOnce.tokens()).isEqualTo(oneByOne.tokens());
        assertThat(allAtOnce.loss()).isCloseTo(oneByOne.loss(), within(1e-4));
        assertThat(allAtOnce.perplexity()).isCloseTo(oneByOne.perplexity(), within(1e-3 * oneByOne.perplexity()));
    }

    @Test
    void anAdapterChangesTheLossAndPerplexityStaysItsExponential() {
        Adapter adapter;
        try (PeftState fresh = PeftState.create(model, PeftConfig.lora(4, 8, List.of("q_proj", "v_proj")))) {
            adapter = AdapterTestSupport.randomised(fresh.toAdapter());
        }

        EvalResult base = Evaluator.evaluate(model, (Adapter) null, holdout, 2);
        EvalResult adapted = Evaluator.evaluate(model, adapter, holdout, 2);

        assertThat(adapted.tokens()).isEqualTo(base.tokens());
        assertThat(Math.abs(adapted.loss() - base.loss())).isGreaterThan(1e-4);
        assertThat(adapted.perplexity()).isEqualTo(Math.exp(adapted.loss()));
    }
}
