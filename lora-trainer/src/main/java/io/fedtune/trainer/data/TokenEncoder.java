package io.fedtune.trainer.data;

import java.util.OptionalInt;

/** What {@link JsonlDataset#tokenize} needs of a tokenizer: text to ids without special tokens, and BOS/EOS ids. */
public interface TokenEncoder {

    /** The ids of {@code text}, with no special tokens added. */
    int[] encode(String text);

    /** The begin-of-sequence id, if the model has one. */
    OptionalInt bosId();

    /** The end-of-sequence id, if the model has one. */
    OptionalInt eosId();
}
