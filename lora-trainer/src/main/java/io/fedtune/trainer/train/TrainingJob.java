package io.fedtune.trainer.train;

import io.fedtune.trainer.data.TokenizedExample;
import io.fedtune.trainer.model.PretrainedModel;
import io.fedtune.trainer.peft.Adapter;
import io.fedtune.trainer.peft.PeftConfig;
import io.fedtune.trainer.peft.PeftKind;
import java.nio.file.Path;
import java.util.List;

/** Everything one fine-tuning run needs; build it with {@link #builder()}. */
public final class TrainingJob {
    private final PretrainedModel model;
    private final PeftConfig peft;
    private final List<TokenizedExample> trainData;
    private final List<TokenizedExample> holdoutData;
    private final TrainingConfig config;
    private final Adapter initialAdapter;
    private final Path checkpointDir;
    private final int checkpointEvery;
    private final TrainingListener listener;
    private final TrainingControl control;

    private TrainingJob(Builder b) {
        this.model = b.model;
        this.peft = b.peft;
        this.trainData = List.copyOf(b.trainData);
        this.holdoutData = b.holdoutData == null ? List.of() : List.copyOf(b.holdoutData);
        this.config = b.config;
        this.initialAdapter = b.initialAdapter;
        this.checkpointDir = b.checkpointDir;
        this.checkpointEvery = b.checkpointEvery;
        this.listener = b.listener;
        this.control = b.control;
    }

    public static Builder builder() {
        return new Builder();
    }

    public PretrainedModel model() {
        return model;
    }

    public PeftConfig peft() {
        return peft;
    }

    public List<TokenizedExample> trainData() {
        return trainData;
    }

    public List<TokenizedExample> holdoutData() {
        return holdoutData;
    }

    public TrainingConfig config() {
        return config;
    }

    /** The adapter training starts from (the round's global adapter), or null for a fresh one. */
    public Adapter initialAdapter() {
        return initialAdapter;
    }

    public Path checkpointDir() {
        return checkpointDir;
    }

    public int checkpointEvery() {
        return checkpointEvery;
    }

    public TrainingListener listener() {
        return listener;
    }

    public TrainingControl control() {
        return control;
    }

    /** DJL-style builder: {@code set…} are required, {@code opt…} optional; {@link #build()} checks. */
    public static final class Builder {
        private PretrainedModel model;
        private PeftConfig peft;
        private List<TokenizedExample> trainData;
        private List<TokenizedExample> holdoutData;
        private TrainingConfig config = TrainingConfig.defaults();
        private Adapter initialAdapter;
        private Path checkpointDir;
        private int checkpointEvery;
        private TrainingListener listener = p -> {};
        private TrainingControl control = new TrainingControl();

        private Builder() {}

        public Builder setModel(PretrainedModel model) {
            this.model = model;
            return this;
        }

        public Builder setPeft(PeftConfig peft) {
            this.peft = peft;
            return this;
        }

        public Builder setTrainData(List<TokenizedExample> data) {
            this.trainData = data;
            return this;
        }

        public Builder optHoldoutData(List<TokenizedExample> data) {
            this.holdoutData = data;
            return this;
        }

        public Builder optConfig(TrainingConfig config) {
            this.config = config;
            return this;
        }

        public Builder optInitialAdapter(Adapter adapter) {
            this.initialAdapter = adapter;
            return this;
        }

        /** Writes a checkpoint into {@code dir} every {@code everySteps} steps (and when stopped); resumes from it. */
        public Builder optCheckpoint(Path dir, int everySteps) {
            this.checkpointDir = dir;
            this.checkpointEvery = everySteps;
            return this;
        }

        public Builder optListener(TrainingListener listener) {
            this.listener = listener;
            return this;
        }

        public Builder optControl(TrainingControl control) {
            this.control = control;
            return this;
        }

        /**
         * @throws IllegalArgumentException when the model, PEFT config or training data is missing, the data is empty,
         *     or the initial adapter is of another kind or rank than the PEFT config
         */
        public TrainingJob build() {
            if (model == null) {
                throw new IllegalArgumentException("a model is required (setModel)");
            }
            if (peft == null) {
                throw new IllegalArgumentException("a PEFT config is required (setPeft)");
            }
            if (trainData == null || trainData.isEmpty()) {
                throw new IllegalArgumentException("the training data is empty");
            }
            if (config == null) {
                throw new IllegalArgumentException("config must not be null");
            }
            if (checkpointDir != null && checkpointEvery <= 0) {
                throw new IllegalArgumentException("checkpoint interval must be positive, got " + checkpointEvery);
            }
            if (initialAdapter != null) {
                PeftConfig a = initialAdapter.config();
                if (a.kind() != peft.kind() || a.rank() != peft.rank() || a.virtualTokens() != peft.virtualTokens()) {
                    throw new IllegalArgumentException("the initial adapter is " + a.kind() + " rank " + a.rank()
                            + " but the job trains " + peft.kind() + " rank " + peft.rank());
                }
                // The adapter's own scaling and targets are what training would use: they must be the job's.
                if (peft.kind() != PeftKind.PROMPT_TUNING) {
                    if (Double.compare(a.alpha(), peft.alpha()) != 0 || a.rsLora() != peft.rsLora()) {
                        throw new IllegalArgumentException("the initial adapter has alpha " + a.alpha()
                                + (a.rsLora() ? " (rsLoRA)" : "") + " but the job trains alpha " + peft.alpha()
                                + (peft.rsLora() ? " (rsLoRA)" : ""));
                    }
                    if (!java.util.Set.copyOf(a.targetModules()).equals(java.util.Set.copyOf(peft.targetModules()))) {
                        throw new IllegalArgumentException("the initial adapter targets " + a.targetModules()
                                + " but the job trains " + peft.targetModules());
                    }
                }
            }
            if (listener == null || control == null) {
                throw new IllegalArgumentException("listener and control must not be null");
            }
            return new TrainingJob(this);
        }
    }
}
