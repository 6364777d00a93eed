package io.fedtune.agent.offline;

/** Parses {@code --ids 1,2,3}. */
final class TokenIds {

    private TokenIds() {}

    static int[] parse(String option, String text) {
        String[] parts = text.split(",", -1);
        int[] ids = new int[parts.length];
        for (int i = 0; i < parts.length; i++) {
            String part = parts[i].strip();
            try {
                ids[i] = Integer.parseInt(part);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(option + ": '" + part + "' is not a token id");
            }
            if (ids[i] < 0) {
                throw new IllegalArgumentException(option + ": token id " + ids[i] + " is negative");
            }
        }
        return ids;
    }
}
