package io.fedtune.trainer.tiny;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Random;

/**
 * Non-IID synthetic text corpora for demos and tests: each client gets its own {@link Domain}, a deterministic
 * pattern over characters that no other domain uses (spaces aside), so a model that learns one client's data learns nothing
 * about another's and a holdout made of every client's examples needs all of them. Files are JSON Lines with one
 * {@code {"text": …}} object per line.
 */
public final class SyntheticCorpora {

    private SyntheticCorpora() {}

    /** A style of text, each over its own characters. */
    public enum Domain {
        /** Arithmetic sequences: digits and spaces. */
        LEDGER("arithmetic sequences of numbers"),
        /** Sentences from a small grammar: lower-case words and commas. */
        GARDEN("sentences about a garden in lower-case words"),
        /** Repeated call signs: upper-case letters and colons. */
        SIGNALS("repeated upper-case call signs"),
        /** Morse-like code: dots, dashes and slashes. */
        MORSE("morse-like code of dots, dashes and slashes"),
        /** Balanced nested brackets. */
        BRACKETS("balanced nested brackets"),
        /** Chants of symbols: repeated runs of punctuation marks. */
        CHANTS("repeated runs of punctuation marks");

        private final String description;

        Domain(String description) {
            this.description = description;
        }

        /** A short human description, for the demo's output. */
        public String description() {
            return description;
        }

        /** The lower-case name used in file names. */
        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }

        /** One example of this domain. */
        public String sample(Random random) {
            return switch (this) {
                case LEDGER -> ledger(random);
                case GARDEN -> garden(random);
                case SIGNALS -> signals(random);
                case MORSE -> morse(random);
                case BRACKETS -> brackets(random);
                case CHANTS -> chants(random);
            };
        }
    }

    /**
     * One client's corpus as written.
     *
     * @param name the client's name ({@code client-<n>-<domain>}), also the file name without {@code .jsonl}
     * @param domain its style of text
     * @param file the JSON Lines file
     * @param examples how many lines it has
     */
    public record ClientCorpus(String name, Domain domain, Path file, int examples) {}

    /**
     * Writes one JSON Lines file per client into {@code directory}. Client {@code i} gets domain {@code i} (cycling
     * through the domains when there are more clients than domains, with a different random stream). The same
     * arguments always give the same bytes. Each file is written to a temporary file first and moved into place.
     *
     * @param directory where the files go (created when missing)
     * @param clients how many clients, at least 1
     * @param examplesPerClient lines per file, at least 1
     * @param seed the seed of every random choice
     */
    public static List<ClientCorpus> write(Path directory, int clients, int examplesPerClient, long seed)
            throws IOException {
        Objects.requireNonNull(directory, "directory");
        if (clients < 1) {
            throw new IllegalArgumentException("clients must be at least 1, was " + clients);
        }
        if (examplesPerClient < 1) {
            throw new IllegalArgumentException("examplesPerClient must be at least 1, was " + examplesPerClient);
        }
        Files.createDirectories(directory);
        Domain[] domains = Domain.values();
        List<ClientCorpus> corpora = new ArrayList<>(clients);
        for (int client = 0; client < clients; client++) {
            Domain domain = domains[client % domains.length];
            Random random = new Random(seed * 1_000_003L + client);
            String name = "client-" + (client + 1) + "-" + domain.label();
            Path file = directory.resolve(name + ".jsonl");
            Path partial = Files.createTempFile(directory, name, ".partial");
            try {
                try (BufferedWriter writer = Files.newBufferedWriter(partial, StandardCharsets.UTF_8)) {
                    for (int i = 0; i < examplesPerClient; i++) {
                        writer.write(jsonLine(domain.sample(random)));
                        writer.write('\n');
                    }
                }
                Files.move(partial, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } finally {
                Files.deleteIfExists(partial);
            }
            corpora.add(new ClientCorpus(name, domain, file, examplesPerClient));
        }
        return List.copyOf(corpora);
    }

    /** {@code {"text":"…"}} with JSON string escapes. */
    static String jsonLine(String text) {
        StringBuilder line = new StringBuilder(text.length() + 12).append("{\"text\":\"");
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '"' -> line.append("\\\"");
                case '\\' -> line.append("\\\\");
                case '\n' -> line.append("\\n");
                case '\r' -> line.append("\\r");
                case '\t' -> line.append("\\t");
                default -> {
                    if (c < 0x20) {
                        line.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
                    } else {
                        line.append(c);
                    }
                }
            }
        }
        return line.append("\"}").toString();
    }

    private static String ledger(Random random) {
        int start = 1 + random.nextInt(40);
        int step = 1 + random.nextInt(9);
        int count = 6 + random.nextInt(4);
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < count; i++) {
            if (i > 0) {
                text.append(' ');
            }
            text.append(start + i * step);
        }
        return text.toString();
    }

    private static final String[] ADJECTIVES = {"red", "old", "tall", "green", "wet", "small"};
    private static final String[] NOUNS = {"fox", "hen", "rose", "tree", "bee", "pond", "seed"};
    private static final String[] VERBS = {"sees", "likes", "finds", "hides", "grows near"};

    private static String garden(Random random) {
        StringBuilder text = new StringBuilder();
        int sentences = 2 + random.nextInt(2);
        for (int s = 0; s < sentences; s++) {
            if (s > 0) {
                text.append(' ');
            }
            text.append("the ")
                    .append(pick(ADJECTIVES, random))
                    .append(' ')
                    .append(pick(NOUNS, random))
                    .append(' ')
                    .append(pick(VERBS, random))
                    .append(" the ")
                    .append(pick(NOUNS, random))
                    .append(',');
        }
        return text.toString();
    }

    private static final String[] CALL_SIGNS = {"ZQ", "KX", "VW", "JB", "QY", "XR"};

    private static String signals(Random random) {
        StringBuilder text = new StringBuilder();
        int groups = 3 + random.nextInt(3);
        for (int g = 0; g < groups; g++) {
            if (g > 0) {
                text.append(' ');
            }
            String sign = pick(CALL_SIGNS, random);
            text.append(sign).append(':').append(sign).append(':').append(sign);
        }
        return text.toString();
    }

    private static final String[] MORSE_LETTERS = {".-", "-...", "-.-.", "-..", ".", "..-.", "--.", "....", ".."};

    private static String morse(Random random) {
        StringBuilder text = new StringBuilder();
        int words = 3 + random.nextInt(3);
        for (int w = 0; w < words; w++) {
            if (w > 0) {
                text.append(" / ");
            }
            int letters = 2 + random.nextInt(3);
            for (int l = 0; l < letters; l++) {
                if (l > 0) {
                    text.append(' ');
                }
                text.append(pick(MORSE_LETTERS, random));
            }
        }
        return text.toString();
    }

    private static final char[][] BRACKET_PAIRS = {{'(', ')'}, {'[', ']'}, {'{', '}'}, {'<', '>'}};

    private static String brackets(Random random) {
        StringBuilder text = new StringBuilder();
        int groups = 3 + random.nextInt(3);
        for (int g = 0; g < groups; g++) {
            int depth = 1 + random.nextInt(3);
            char[][] chosen = new char[depth][];
            for (int d = 0; d < depth; d++) {
                chosen[d] = BRACKET_PAIRS[random.nextInt(BRACKET_PAIRS.length)];
                text.append(chosen[d][0]);
            }
            for (int d = depth - 1; d >= 0; d--) {
                text.append(chosen[d][1]);
            }
        }
        return text.toString();
    }

    private static final char[] CHANT_MARKS = {'!', '?', '*', '~', '+', '='};

    private static String chants(Random random) {
        StringBuilder text = new StringBuilder();
        int runs = 4 + random.nextInt(3);
        for (int r = 0; r < runs; r++) {
            char mark = CHANT_MARKS[random.nextInt(CHANT_MARKS.length)];
            int length = 2 + random.nextInt(3);
            text.append(String.valueOf(mark).repeat(length));
        }
        return text.toString();
    }

    private static String pick(String[] words, Random random) {
        return words[random.nextInt(words.length)];
    }
}
