package io.fedtune.trainer.data;

import java.util.List;

/**
 * How an instruction or a chat becomes a {@link TextExample}: everything up to the last assistant turn is the
 * prompt, the last assistant turn is the response. Begin- and end-of-sequence tokens are not written here: {@link
 * JsonlDataset#tokenize} adds them as ids.
 */
public enum ChatTemplate {
    /** No markup: the turns' contents joined by new lines. */
    NONE {
        @Override
        String renderPrompt(List<ChatMessage> history) {
            StringBuilder prompt = new StringBuilder();
            for (ChatMessage message : history) {
                prompt.append(message.content()).append('\n');
            }
            return prompt.toString();
        }

        @Override
        String renderResponse(String answer) {
            return answer;
        }
    },

    /** ChatML as used by Qwen2: {@code <|im_start|>role\ncontent<|im_end|>\n}. */
    CHATML {
        @Override
        String renderPrompt(List<ChatMessage> history) {
            StringBuilder prompt = new StringBuilder();
            for (ChatMessage message : history) {
                prompt.append("<|im_start|>")
                        .append(message.role())
                        .append('\n')
                        .append(message.content())
                        .append("<|im_end|>\n");
            }
            return prompt.append("<|im_start|>assistant\n").toString();
        }

        @Override
        String renderResponse(String answer) {
            return answer + "<|im_end|>";
        }
    },

    /** Llama-2 chat: {@code [INST] <<SYS>>\nsystem\n<</SYS>>\n\nuser [/INST] answer </s><s>[INST] …}. */
    LLAMA2 {
        @Override
        String renderPrompt(List<ChatMessage> history) {
            StringBuilder prompt = new StringBuilder();
            String system = null;
            boolean first = true;
            for (ChatMessage message : history) {
                switch (message.role()) {
                    case ChatMessage.SYSTEM -> system = message.content();
                    case ChatMessage.USER -> {
                        prompt.append(first ? "[INST] " : "<s>[INST] ");
                        if (system != null) {
                            prompt.append("<<SYS>>\n").append(system).append("\n<</SYS>>\n\n");
                            system = null;
                        }
                        prompt.append(message.content()).append(" [/INST]");
                        first = false;
                    }
                    default -> prompt.append(' ').append(message.content()).append(" </s>");
                }
            }
            return prompt.toString();
        }

        @Override
        String renderResponse(String answer) {
            return " " + answer;
        }
    },

    /** Stanford Alpaca: a preamble, then {@code ### Instruction:}, {@code ### Input:} and {@code ### Response:}. */
    ALPACA {
        private static final String PREAMBLE = "Below is an instruction that describes a task. "
                + "Write a response that appropriately completes the request.\n\n";
        private static final String PREAMBLE_WITH_INPUT =
                "Below is an instruction that describes a task, paired with an input that provides further context. "
                        + "Write a response that appropriately completes the request.\n\n";

        @Override
        public TextExample renderInstruction(String instruction, String input, String output) {
            String prompt = input.isEmpty()
                    ? PREAMBLE + "### Instruction:\n" + instruction + "\n\n### Response:\n"
                    : PREAMBLE_WITH_INPUT + "### Instruction:\n" + instruction + "\n\n### Input:\n" + input
                            + "\n\n### Response:\n";
            return new TextExample(prompt, output);
        }

        @Override
        String renderPrompt(List<ChatMessage> history) {
            StringBuilder prompt = new StringBuilder();
            boolean hasSystem = !history.isEmpty() && history.get(0).role().equals(ChatMessage.SYSTEM);
            if (!hasSystem) {
                prompt.append(PREAMBLE);
            }
            for (ChatMessage message : history) {
                switch (message.role()) {
                    case ChatMessage.SYSTEM -> prompt.append(message.content()).append("\n\n");
                    case ChatMessage.USER ->
                        prompt.append("### Instruction:\n")
                                .append(message.content())
                                .append("\n\n");
                    default ->
                        prompt.append("### Response:\n")
                                .append(message.content())
                                .append("\n\n");
                }
            }
            return prompt.append("### Response:\n").toString();
        }

        @Override
        String renderResponse(String answer) {
            return answer;
        }
    };

    /**
     * Renders a conversation whose last message is the assistant's answer to learn.
     *
     * @throws IllegalArgumentException when the conversation is empty or does not end with an assistant turn
     */
    public TextExample render(List<ChatMessage> conversation) {
        if (conversation.isEmpty()) {
            throw new IllegalArgumentException("a conversation needs at least one message");
        }
        ChatMessage last = conversation.get(conversation.size() - 1);
        if (!last.role().equals(ChatMessage.ASSISTANT)) {
            throw new IllegalArgumentException("the last message must be the assistant's, got '" + last.role() + "'");
        }
        List<ChatMessage> history = conversation.subList(0, conversation.size() - 1);
        return new TextExample(renderPrompt(history), renderResponse(last.content()));
    }

    /** The prompt that asks the model to answer one user message (for generation). */
    public String promptFor(String userMessage) {
        return renderPrompt(List.of(new ChatMessage(ChatMessage.USER, userMessage)));
    }

    /** Renders an Alpaca record ({@code input} may be empty) as a one-turn conversation. */
    public TextExample renderInstruction(String instruction, String input, String output) {
        String user = input.isEmpty() ? instruction : instruction + "\n\n" + input;
        return render(List.of(new ChatMessage(ChatMessage.USER, user), new ChatMessage(ChatMessage.ASSISTANT, output)));
    }

    abstract String renderPrompt(List<ChatMessage> history);

    abstract String renderResponse(String answer);
}
