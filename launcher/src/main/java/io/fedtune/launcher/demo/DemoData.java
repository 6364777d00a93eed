package io.fedtune.launcher.demo;

import io.fedtune.trainer.data.DataFormatException;
import io.fedtune.trainer.data.DataOptions;
import io.fedtune.trainer.data.JsonlDataset;
import io.fedtune.trainer.tiny.SyntheticCorpora;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** The clients' datasets: generated, or the user's own JSON Lines files; each split into training and holdout. */
final class DemoData {

    /** The share of each client's examples held out. */
    static final double HOLDOUT_FRACTION = 0.2;

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private DemoData() {}

    /** Generates {@code clients} non-IID corpora ({@link SyntheticCorpora}) under {@code directory} and splits them. */
    static List<DemoClient> synthetic(Path directory, int clients, int examplesPerClient, long seed) {
        try {
            List<DemoClient> result = new ArrayList<>();
            for (SyntheticCorpora.ClientCorpus corpus :
                    SyntheticCorpora.write(directory.resolve("generated"), clients, examplesPerClient, seed)) {
                result.add(split(corpus.name(), corpus.domain().description(), corpus.file(), directory, seed));
            }
            return result;
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot write the synthetic datasets under " + directory, e);
        }
    }

    /**
     * The user's data: every {@code *.jsonl} file of {@code userDirectory} is one client, in file-name order. Each is
     * checked line by line (every non-blank line a JSON object) and split into training and holdout under
     * {@code directory}.
     */
    static List<DemoClient> fromDirectory(Path userDirectory, Path directory, long seed) {
        if (!Files.isDirectory(userDirectory)) {
            throw new DemoInputException("--data " + userDirectory + " is not a directory");
        }
        List<Path> files;
        try (Stream<Path> list = Files.list(userDirectory)) {
            files = list.filter(p -> p.getFileName().toString().endsWith(".jsonl") && Files.isRegularFile(p))
                    .sorted()
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot list " + userDirectory, e);
        }
        if (files.size() < 2) {
            throw new DemoInputException("--data " + userDirectory + " holds " + files.size()
                    + " .jsonl file(s); a federation needs at least 2 (one file per client)");
        }
        List<DemoClient> clients = new ArrayList<>();
        for (Path file : files) {
            String base = file.getFileName().toString();
            String name = base.substring(0, base.length() - ".jsonl".length()).replaceAll("[^A-Za-z0-9._-]", "-");
            if (name.isEmpty() || !Character.isLetterOrDigit(name.charAt(0))) {
                name = "client-" + (clients.size() + 1) + "-" + name;
            }
            clients.add(split(name, "your file " + file.getFileName(), file, directory, seed));
        }
        return clients;
    }

    /**
     * Splits one client's file into {@code <name>/train.jsonl} and {@code <name>/holdout.jsonl} under
     * {@code directory}: a seeded shuffle of its non-blank lines, {@link #HOLDOUT_FRACTION} of them (at least one)
     * held out. Lines are copied unchanged.
     */
    static DemoClient split(String name, String description, Path source, Path directory, long seed) {
        try {
            // the agents' own reader decides what a valid line is ({"text"}, Alpaca, chat messages)
            JsonlDataset.read(source, DataOptions.defaults());
        } catch (DataFormatException e) {
            throw new DemoInputException(e.getMessage());
        }
        List<String> lines = readObjects(source);
        if (lines.size() < 2) {
            throw new DemoInputException(source + " has " + lines.size()
                    + " example(s); each client needs at least 2 (one for training, one held out)");
        }
        Collections.shuffle(lines, new Random(seed ^ name.hashCode()));
        int holdout = Math.max(1, (int) Math.round(lines.size() * HOLDOUT_FRACTION));
        Path own = directory.resolve(name);
        Path train = own.resolve("train.jsonl");
        Path held = own.resolve("holdout.jsonl");
        DemoFiles.writeAtomically(held, String.join("\n", lines.subList(0, holdout)) + "\n");
        DemoFiles.writeAtomically(train, String.join("\n", lines.subList(holdout, lines.size())) + "\n");
        return new DemoClient(name, description, train, held, lines.size() - holdout, holdout);
    }

    private static List<String> readObjects(Path file) {
        List<String> lines = new ArrayList<>();
        try (BufferedReader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            int number = 0;
            for (String line; (line = reader.readLine()) != null; ) {
                number++;
                if (line.isBlank()) {
                    continue;
                }
                JsonNode node;
                try {
                    node = JSON.readTree(line);
                } catch (JacksonException e) {
                    throw new DemoInputException(
                            file + ":" + number + ": not valid JSON (" + e.getOriginalMessage() + ")");
                }
                if (node == null || !node.isObject()) {
                    throw new DemoInputException(file + ":" + number + ": expected a JSON object per line");
                }
                lines.add(line.strip());
            }
        } catch (java.nio.charset.MalformedInputException e) {
            throw new DemoInputException(file + ": not UTF-8 text");
        } catch (IOException e) {
            throw new DemoInputException("Cannot read " + file + ": " + e.getMessage());
        }
        return lines;
    }
}
