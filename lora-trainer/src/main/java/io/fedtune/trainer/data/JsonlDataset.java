package io.fedtune.trainer.data;

import io.fedtune.trainer.text.TextTokenizer;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.OptionalInt;
import java.util.Random;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.json.JsonMapper;

/**
 * A JSONL training file read into {@link TextExample}s. Each non-blank line is one JSON object in one of three
 * shapes:
 *
 * <ul>
 *   <li>{@code {"text": "..."}}: plain text, trained on as a whole;
 *   <li>Alpaca {@code {"instruction": "...", "input": "...", "output": "..."}} ({@code input} optional);
 *   <li>chat {@code {"messages": [{"role": "system|user|assistant", "content": "..."}, ...]}}, ending with the
 *       assistant turn to learn.
 * </ul>
 *
 * <p>Instructions and chats go through the {@link ChatTemplate} of the {@link DataOptions}. A line that fits no
 * shape fails the read with a {@link DataFormatException} naming file and line, or, with {@link
 * DataOptions#skipMalformed()}, is skipped and counted.
 */
public final class JsonlDataset {

    private static final ObjectMapper JSON = JsonMapper.builder().build();
    private static final int MAX_PROBLEMS_KEPT = 20;

    /** The longest line read, in bytes: far beyond any training example, short of exhausting the heap. */
    static final int MAX_LINE_BYTES = 64 << 20;

    private final Path file;
    private final List<TextExample> examples;
    private final int skipped;
    private final List<String> problems;

    private JsonlDataset(Path file, List<TextExample> examples, int skipped, List<String> problems) {
        this.file = file;
        this.examples = Collections.unmodifiableList(examples);
        this.skipped = skipped;
        this.problems = List.copyOf(problems);
    }

    /**
     * Reads a whole JSONL file (UTF-8, blank lines ignored).
     *
     * @throws DataFormatException when the file cannot be read, holds no example, or has a malformed line and
     *     {@code options.skipMalformed()} is off
     */
    public static JsonlDataset read(Path file, DataOptions options) {
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(options, "options");
        if (Files.isDirectory(file)) {
            throw new DataFormatException(file, 0, "is a directory, not a JSONL file");
        }
        List<TextExample> examples = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        int skipped = 0;
        int lineNumber = 0;
        var decoder = StandardCharsets.UTF_8
                .newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        try (InputStream in = Files.newInputStream(file)) {
            LineBuffer bytes = new LineBuffer(in);
            while (bytes.readLine()) {
                lineNumber++;
                try {
                    if (bytes.tooLong()) {
                        throw new MalformedLine("is longer than " + (MAX_LINE_BYTES >> 20) + " MiB");
                    }
                    String line = decode(decoder, bytes.view(), lineNumber == 1);
                    if (line.isBlank()) {
                        continue;
                    }
                    examples.add(parseLine(line, options.template()));
                } catch (MalformedLine e) {
                    if (!options.skipMalformed()) {
                        throw new DataFormatException(file, lineNumber, e.getMessage());
                    }
                    skipped++;
                    if (problems.size() < MAX_PROBLEMS_KEPT) {
                        problems.add(file + ":" + lineNumber + ": " + e.getMessage());
                    }
                }
            }
        } catch (NoSuchFileException e) {
            throw new DataFormatException(file, 0, "no such file", e);
        } catch (IOException e) {
            throw new DataFormatException(file, 0, "cannot be read (" + e.getMessage() + ")", e);
        }
        if (examples.isEmpty()) {
            String reason = lineNumber == 0 || skipped == 0
                    ? "holds no examples"
                    : "holds no valid examples (" + skipped + " malformed lines skipped)";
            throw new DataFormatException(file, 0, reason);
        }
        return new JsonlDataset(file, examples, skipped, problems);
    }

    /** The file this dataset was read from. */
    public Path file() {
        return file;
    }

    /** The examples in file order. */
    public List<TextExample> examples() {
        return examples;
    }

    /** How many malformed lines were skipped (always 0 unless skipping was asked for). */
    public int skipped() {
        return skipped;
    }

    /** The first few skipped lines' problems as {@code file:line: reason}. */
    public List<String> problems() {
        return problems;
    }

    /** This dataset's examples split with the fraction and seed of {@code options}. */
    public Split<TextExample> split(DataOptions options) {
        return split(examples, options.holdoutFraction(), options.seed());
    }

    /**
     * Divides items into a train and a holdout part, the same way for the same seed. The holdout holds {@code
     * round(size * holdoutFraction)} items, at least one when the fraction is positive and there are two items or
     * more, and never all of them. Both parts keep the input order.
     */
    public static <T> Split<T> split(List<T> items, double holdoutFraction, long seed) {
        if (!(holdoutFraction >= 0 && holdoutFraction < 1)) {
            throw new IllegalArgumentException("holdoutFraction must be in [0, 1), got " + holdoutFraction);
        }
        int size = items.size();
        int holdoutSize = (int) Math.round(size * holdoutFraction);
        if (holdoutFraction > 0 && size >= 2) {
            holdoutSize = Math.max(1, holdoutSize);
        }
        holdoutSize = Math.min(holdoutSize, Math.max(0, size - 1));
        int[] order = new int[size];
        for (int i = 0; i < size; i++) {
            order[i] = i;
        }
        Random random = new Random(seed);
        for (int i = size - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int swap = order[i];
            order[i] = order[j];
            order[j] = swap;
        }
        boolean[] heldOut = new boolean[size];
        for (int i = 0; i < holdoutSize; i++) {
            heldOut[order[i]] = true;
        }
        List<T> train = new ArrayList<>(size - holdoutSize);
        List<T> holdout = new ArrayList<>(holdoutSize);
        for (int i = 0; i < size; i++) {
            (heldOut[i] ? holdout : train).add(items.get(i));
        }
        return new Split<>(train, holdout);
    }

    /**
     * Tokenizes examples: {@code [bos] prompt response [eos]}, the loss on the response and the end token only. BOS
     * is added when the tokenizer has one distinct from its EOS (Llama does, GPT-2 and Qwen2 do not). A sequence
     * longer than {@code maxLength} is cut: first the response's tail, and when the prompt alone would leave fewer
     * than {@code maxLength / 2} positions for the response, the prompt's beginning (after BOS) too. An example that
     * leaves nothing to learn (no response token, or a single token in all) is left out.
     *
     * @throws IllegalArgumentException when {@code maxLength < 2}
     */
    public static List<TokenizedExample> tokenize(List<TextExample> examples, TokenEncoder encoder, int maxLength) {
        if (maxLength < 2) {
            throw new IllegalArgumentException("maxLength must be at least 2, got " + maxLength);
        }
        OptionalInt bos = encoder.bosId();
        OptionalInt eos = encoder.eosId();
        boolean addBos = bos.isPresent() && (eos.isEmpty() || eos.getAsInt() != bos.getAsInt());
        List<TokenizedExample> result = new ArrayList<>(examples.size());
        for (TextExample example : examples) {
            int[] prompt = example.prompt().isEmpty() ? new int[0] : encoder.encode(example.prompt());
            int[] response = encoder.encode(example.response());
            if (eos.isPresent()) {
                response = Arrays.copyOf(response, response.length + 1);
                response[response.length - 1] = eos.getAsInt();
            }
            int head = addBos ? 1 : 0;
            int budget = maxLength - head;
            int keptPrompt = prompt.length;
            int keptResponse = response.length;
            if (keptPrompt + keptResponse > budget) {
                int responseRoom = Math.min(keptResponse, Math.max(budget - keptPrompt, maxLength / 2));
                keptResponse = Math.min(keptResponse, responseRoom);
                keptPrompt = Math.min(keptPrompt, budget - keptResponse);
            }
            if (keptResponse == 0 || head + keptPrompt + keptResponse < 2) {
                continue;
            }
            int[] tokens = new int[head + keptPrompt + keptResponse];
            if (addBos) {
                tokens[0] = bos.getAsInt();
            }
            System.arraycopy(prompt, prompt.length - keptPrompt, tokens, head, keptPrompt);
            System.arraycopy(response, 0, tokens, head + keptPrompt, keptResponse);
            result.add(new TokenizedExample(tokens, head + keptPrompt));
        }
        return result;
    }

    /** {@link #tokenize(List, TokenEncoder, int)} with a model's tokenizer. */
    public static List<TokenizedExample> tokenize(List<TextExample> examples, TextTokenizer tokenizer, int maxLength) {
        return tokenize(examples, encoder(tokenizer), maxLength);
    }

    /** A model's tokenizer seen as a {@link TokenEncoder}. */
    public static TokenEncoder encoder(TextTokenizer tokenizer) {
        return new TokenEncoder() {
            @Override
            public int[] encode(String text) {
                return tokenizer.encode(text);
            }

            @Override
            public OptionalInt bosId() {
                return tokenizer.bosId();
            }

            @Override
            public OptionalInt eosId() {
                return tokenizer.eosId();
            }
        };
    }

    private static String decode(CharsetDecoder decoder, ByteBuffer bytes, boolean first) throws MalformedLine {
        String line;
        try {
            line = decoder.decode(bytes).toString();
        } catch (CharacterCodingException e) {
            throw new MalformedLine("is not valid UTF-8");
        }
        return first && line.startsWith("\uFEFF") ? line.substring(1) : line;
    }

    private static TextExample parseLine(String line, ChatTemplate template) throws MalformedLine {
        JsonNode node;
        try {
            node = JSON.readTree(line);
        } catch (JacksonException e) {
            throw new MalformedLine("not valid JSON (" + e.getOriginalMessage() + ")");
        }
        if (node == null || !node.isObject()) {
            throw new MalformedLine("expected a JSON object, got " + describe(node));
        }
        if (node.has("messages")) {
            return parseChat(node.get("messages"), template);
        }
        if (node.has("instruction") || node.has("output")) {
            String instruction = requiredString(node, "instruction");
            String input = node.has("input") && !node.get("input").isNull() ? requiredString(node, "input") : "";
            String output = requiredString(node, "output");
            if (output.isEmpty()) {
                throw new MalformedLine("\"output\" is empty");
            }
            return template.renderInstruction(instruction, input, output);
        }
        if (node.has("text")) {
            String text = requiredString(node, "text");
            if (text.isEmpty()) {
                throw new MalformedLine("\"text\" is empty");
            }
            return new TextExample("", text);
        }
        throw new MalformedLine("unknown shape with keys " + node.propertyNames()
                + "; expected {\"text\"}, {\"instruction\",\"input\",\"output\"} or {\"messages\"}");
    }

    private static TextExample parseChat(JsonNode messages, ChatTemplate template) throws MalformedLine {
        if (!messages.isArray() || messages.isEmpty()) {
            throw new MalformedLine("\"messages\" must be a non-empty array");
        }
        List<ChatMessage> conversation = new ArrayList<>(messages.size());
        for (int i = 0; i < messages.size(); i++) {
            JsonNode message = messages.get(i);
            if (!message.isObject()) {
                throw new MalformedLine("messages[" + i + "] is not an object");
            }
            String role = requiredString(message, "role", "messages[" + i + "].");
            String content = requiredString(message, "content", "messages[" + i + "].");
            switch (role) {
                case ChatMessage.SYSTEM -> {
                    if (i != 0) {
                        throw new MalformedLine("messages[" + i + "]: a system message may only come first");
                    }
                }
                case ChatMessage.USER, ChatMessage.ASSISTANT -> {}
                default ->
                    throw new MalformedLine("messages[" + i + "].role '" + role + "' is not system, user or assistant");
            }
            conversation.add(new ChatMessage(role, content));
        }
        ChatMessage last = conversation.get(conversation.size() - 1);
        if (!last.role().equals(ChatMessage.ASSISTANT)) {
            throw new MalformedLine("the last message must be the assistant's, got '" + last.role() + "'");
        }
        if (last.content().isEmpty()) {
            throw new MalformedLine("the last assistant message is empty");
        }
        return template.render(conversation);
    }

    private static String requiredString(JsonNode node, String field) throws MalformedLine {
        return requiredString(node, field, "");
    }

    private static String requiredString(JsonNode node, String field, String prefix) throws MalformedLine {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            throw new MalformedLine("\"" + prefix + field + "\" is missing");
        }
        if (!value.isString()) {
            throw new MalformedLine("\"" + prefix + field + "\" must be a string, got " + describe(value));
        }
        return value.stringValue();
    }

    private static String describe(JsonNode node) {
        return node == null ? "nothing" : node.getNodeType().name().toLowerCase(java.util.Locale.ROOT);
    }

    /**
     * One line's bytes at a time, without the line break (a carriage return before it is dropped too), read through
     * its own buffer. A line longer than {@link #MAX_LINE_BYTES} is not kept: {@link #tooLong()} says so and the
     * reader moves on to the next line, so memory stays bounded whatever the file holds.
     */
    private static final class LineBuffer {
        private final InputStream in;
        private final byte[] chunk = new byte[1 << 16];
        private int position;
        private int limit;
        private byte[] line = new byte[1024];
        private int length;
        private boolean tooLong;

        LineBuffer(InputStream in) {
            this.in = in;
        }

        boolean readLine() throws IOException {
            length = 0;
            tooLong = false;
            boolean any = false;
            while (true) {
                if (position == limit) {
                    limit = in.read(chunk);
                    position = 0;
                    if (limit <= 0) {
                        limit = 0;
                        return any;
                    }
                }
                any = true;
                int start = position;
                while (position < limit && chunk[position] != '\n') {
                    position++;
                }
                append(start, position);
                if (position < limit) {
                    position++; // the line break
                    if (length > 0 && line[length - 1] == '\r') {
                        length--;
                    }
                    return true;
                }
            }
        }

        private void append(int from, int to) {
            int count = to - from;
            if (tooLong || count == 0) {
                return;
            }
            if ((long) length + count > MAX_LINE_BYTES) {
                tooLong = true;
                length = 0;
                return;
            }
            if (length + count > line.length) {
                line = Arrays.copyOf(line, Math.max(line.length * 2, length + count));
            }
            System.arraycopy(chunk, from, line, length, count);
            length += count;
        }

        boolean tooLong() {
            return tooLong;
        }

        ByteBuffer view() {
            return ByteBuffer.wrap(line, 0, length);
        }
    }

    /** A line that fits no shape; becomes a {@link DataFormatException} or a skip count. */
    private static final class MalformedLine extends Exception {
        MalformedLine(String message) {
            super(message, null, false, false);
        }
    }
}
