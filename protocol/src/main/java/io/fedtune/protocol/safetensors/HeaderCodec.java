package io.fedtune.protocol.safetensors;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CharsetEncoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.core.ObjectReadContext;
import tools.jackson.core.StreamReadConstraints;
import tools.jackson.core.StreamReadFeature;
import tools.jackson.core.TokenStreamLocation;
import tools.jackson.core.json.JsonFactory;

/**
 * Strict parsing and canonical writing of the safetensors JSON header. The writer produces what Hugging Face's
 * serializer produces (serde_json compact form, {@code __metadata__} first, tensors in data order, padded with spaces
 * to a multiple of 8).
 */
final class HeaderCodec {

    private static final Set<String> TENSOR_FIELDS = Set.of("dtype", "shape", "data_offsets");

    private HeaderCodec() {}

    // ---------------------------------------------------------------- parsing

    /**
     * Parses and validates a header.
     *
     * @param json the header bytes (UTF-8 JSON, maybe padded with trailing whitespace)
     * @param dataLength the actual length of the data section, or -1 when it is not known yet (a stream)
     */
    static SafetensorsHeader parse(byte[] json, long dataLength, SafetensorsLimits limits)
            throws SafetensorsFormatException {
        String text = decodeUtf8(json);
        if (text.isEmpty() || text.charAt(0) != '{') {
            throw new SafetensorsFormatException("header must be a JSON object starting with '{', found "
                    + (text.isEmpty() ? "nothing" : describe(text.charAt(0))));
        }
        Map<String, String> metadata = null;
        boolean metadataSeen = false;
        List<TensorInfo> tensors = new ArrayList<>();
        Set<String> names = new HashSet<>();
        try (JsonParser parser = factory(limits).createParser(ObjectReadContext.empty(), text)) {
            expect(parser.nextToken(), JsonToken.START_OBJECT, "header is not a JSON object", null);
            JsonToken token;
            while ((token = parser.nextToken()) == JsonToken.PROPERTY_NAME) {
                String key = parser.currentName();
                parser.nextToken();
                if (SafetensorsHeader.METADATA_KEY.equals(key)) {
                    if (metadataSeen) {
                        throw new SafetensorsFormatException("duplicate key '__metadata__' in header");
                    }
                    metadataSeen = true;
                    metadata = parseMetadata(parser);
                } else {
                    if (!names.add(key)) {
                        throw new SafetensorsFormatException("duplicate tensor name '" + key + "' in header", key);
                    }
                    tensors.add(parseTensor(parser, key));
                }
            }
            expect(token, JsonToken.END_OBJECT, "header is not a JSON object", null);
            if (parser.nextToken() != null) {
                throw new SafetensorsFormatException("header is not valid JSON: content after the closing '}'");
            }
        } catch (JacksonException e) {
            throw new SafetensorsFormatException("header is not valid JSON: " + jsonProblem(e), null, e);
        }
        long covered = validateLayout(tensors, dataLength);
        if (covered > limits.maxDataBytes()) {
            throw new SafetensorsFormatException(
                    "data section of " + covered + " bytes exceeds the limit of " + limits.maxDataBytes() + " bytes");
        }
        return new SafetensorsHeader(tensors, metadata, json.length, covered);
    }

    private static JsonFactory factory(SafetensorsLimits limits) {
        int max = (int) limits.maxHeaderBytes();
        return JsonFactory.builder()
                .streamReadConstraints(StreamReadConstraints.builder()
                        .maxNestingDepth(16)
                        .maxNumberLength(40)
                        .maxStringLength(max)
                        .maxNameLength(max)
                        .build())
                .disable(StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION)
                .build();
    }

    private static Map<String, String> parseMetadata(JsonParser parser) throws SafetensorsFormatException {
        JsonToken token = parser.currentToken();
        if (token == JsonToken.VALUE_NULL) {
            return null;
        }
        expect(token, JsonToken.START_OBJECT, "'__metadata__' must be an object of strings", null);
        Map<String, String> metadata = new LinkedHashMap<>();
        while ((token = parser.nextToken()) == JsonToken.PROPERTY_NAME) {
            String key = parser.currentName();
            JsonToken value = parser.nextToken();
            if (value != JsonToken.VALUE_STRING) {
                throw new SafetensorsFormatException(
                        "'__metadata__' value of '" + key + "' must be a string, found " + describe(value));
            }
            if (metadata.put(key, parser.getString()) != null) {
                throw new SafetensorsFormatException("duplicate key '" + key + "' in '__metadata__'");
            }
        }
        return metadata;
    }

    private static TensorInfo parseTensor(JsonParser parser, String name) throws SafetensorsFormatException {
        if (name.isEmpty()) {
            throw new SafetensorsFormatException("header has a tensor with an empty name", name);
        }
        expect(parser.currentToken(), JsonToken.START_OBJECT, "entry of tensor '" + name + "' must be an object", name);
        DType dtype = null;
        long[] shape = null;
        long[] offsets = null;
        Set<String> seen = new HashSet<>();
        JsonToken token;
        while ((token = parser.nextToken()) == JsonToken.PROPERTY_NAME) {
            String field = parser.currentName();
            if (!TENSOR_FIELDS.contains(field)) {
                throw new SafetensorsFormatException(
                        "tensor '" + name + "' has unknown field '" + field + "' (expected dtype, shape, data_offsets)",
                        name);
            }
            if (!seen.add(field)) {
                throw new SafetensorsFormatException("tensor '" + name + "' has duplicate field '" + field + "'", name);
            }
            JsonToken value = parser.nextToken();
            switch (field) {
                case "dtype" -> dtype = parseDType(parser, value, name);
                case "shape" -> shape = parseIntegers(parser, value, name, "shape");
                default -> offsets = parseIntegers(parser, value, name, "data_offsets");
            }
        }
        if (dtype == null || shape == null || offsets == null) {
            String missing = dtype == null ? "dtype" : shape == null ? "shape" : "data_offsets";
            throw new SafetensorsFormatException("tensor '" + name + "' has no '" + missing + "'", name);
        }
        if (offsets.length != 2) {
            throw new SafetensorsFormatException(
                    "tensor '" + name + "' data_offsets must be [begin, end], found " + offsets.length + " numbers",
                    name);
        }
        long begin = offsets[0];
        long end = offsets[1];
        if (end < begin) {
            throw new SafetensorsFormatException(
                    "tensor '" + name + "' has data_offsets end " + end + " before begin " + begin, name);
        }
        long count = TensorInfo.elementCount(shape);
        long bytes = count < 0 || count > Long.MAX_VALUE / dtype.byteSize() ? -1 : count * dtype.byteSize();
        if (bytes < 0) {
            throw new SafetensorsFormatException(
                    "tensor '" + name + "' shape " + Arrays.toString(shape) + " overflows: its byte size exceeds 2^63",
                    name);
        }
        if (bytes != end - begin) {
            throw new SafetensorsFormatException(
                    "tensor '" + name + "' size mismatch: " + dtype.wireName() + " shape " + Arrays.toString(shape)
                            + " needs " + bytes + " bytes but data_offsets [" + begin + ", " + end + ") hold "
                            + (end - begin),
                    name);
        }
        return new TensorInfo(name, dtype, shape, begin, end);
    }

    private static DType parseDType(JsonParser parser, JsonToken token, String name) throws SafetensorsFormatException {
        if (token != JsonToken.VALUE_STRING) {
            throw new SafetensorsFormatException(
                    "tensor '" + name + "' dtype must be a string, found " + describe(token), name);
        }
        String wire = parser.getString();
        return DType.fromWireName(wire)
                .orElseThrow(() -> new SafetensorsFormatException(
                        "tensor '" + name + "' has unknown dtype '" + wire + "' (supported: " + DType.supportedNames()
                                + ")",
                        name));
    }

    private static long[] parseIntegers(JsonParser parser, JsonToken token, String name, String field)
            throws SafetensorsFormatException {
        if (token != JsonToken.START_ARRAY) {
            throw new SafetensorsFormatException(
                    "tensor '" + name + "' " + field + " must be an array, found " + describe(token), name);
        }
        long[] values = new long[4];
        int size = 0;
        while ((token = parser.nextToken()) != JsonToken.END_ARRAY) {
            if (token != JsonToken.VALUE_NUMBER_INT) {
                String found = token == JsonToken.VALUE_NUMBER_FLOAT ? parser.getString() : describe(token);
                throw new SafetensorsFormatException(
                        "tensor '" + name + "' " + field + " must hold non-negative integers, found " + found, name);
            }
            JsonParser.NumberType type = parser.getNumberType();
            if (type == JsonParser.NumberType.BIG_INTEGER) {
                throw new SafetensorsFormatException(
                        "tensor '" + name + "' " + field + " value " + parser.getString() + " is out of range", name);
            }
            long value = parser.getLongValue();
            if (value < 0) {
                throw new SafetensorsFormatException(
                        "tensor '" + name + "' " + field + " must hold non-negative integers, found " + value, name);
            }
            if (size == values.length) {
                if (size >= 1024) {
                    throw new SafetensorsFormatException(
                            "tensor '" + name + "' " + field + " has more than 1024 entries", name);
                }
                values = Arrays.copyOf(values, size * 2);
            }
            values[size++] = value;
        }
        return Arrays.copyOf(values, size);
    }

    /**
     * Checks that the tensors, ordered by offset, cover {@code [0, total)} exactly once, and that total is the data
     * length when it is known. Sorts {@code tensors} into file order and returns the covered length.
     */
    private static long validateLayout(List<TensorInfo> tensors, long dataLength) throws SafetensorsFormatException {
        tensors.sort(Comparator.comparingLong(TensorInfo::begin).thenComparingLong(TensorInfo::end));
        long position = 0;
        TensorInfo previous = null;
        for (TensorInfo tensor : tensors) {
            if (tensor.begin() < position) {
                throw new SafetensorsFormatException(
                        "tensors '" + previous.name() + "' and '" + tensor.name() + "' overlap: '" + tensor.name()
                                + "' begins at " + tensor.begin() + ", before '" + previous.name() + "' ends at "
                                + position,
                        tensor.name());
            }
            if (tensor.begin() > position) {
                throw new SafetensorsFormatException(
                        "gap in the data section: bytes [" + position + ", " + tensor.begin() + ") before tensor '"
                                + tensor.name() + "' belong to no tensor",
                        tensor.name());
            }
            if (dataLength >= 0 && tensor.end() > dataLength) {
                throw new SafetensorsFormatException(
                        "truncated data: tensor '" + tensor.name() + "' needs bytes [" + tensor.begin() + ", "
                                + tensor.end() + ") of the data section, which holds only " + dataLength + " bytes",
                        tensor.name());
            }
            position = tensor.end();
            previous = tensor;
        }
        if (dataLength >= 0 && position < dataLength) {
            throw new SafetensorsFormatException("gap in the data section: bytes [" + position + ", " + dataLength
                    + ") at its end belong to no tensor");
        }
        return position;
    }

    private static void expect(JsonToken actual, JsonToken expected, String problem, String tensor)
            throws SafetensorsFormatException {
        if (actual != expected) {
            throw new SafetensorsFormatException(problem + ", found " + describe(actual), tensor);
        }
    }

    private static String describe(JsonToken token) {
        if (token == null) {
            return "the end of the header";
        }
        return switch (token) {
            case START_OBJECT -> "an object";
            case START_ARRAY -> "an array";
            case VALUE_STRING -> "a string";
            case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> "a number";
            case VALUE_TRUE, VALUE_FALSE -> "a boolean";
            case VALUE_NULL -> "null";
            default -> token.name();
        };
    }

    private static String describe(char c) {
        return c < 0x20 || c > 0x7E ? String.format("U+%04X", (int) c) : "'" + c + "'";
    }

    private static String jsonProblem(JacksonException e) {
        String message = e.getOriginalMessage();
        if (message != null) {
            int newline = message.indexOf('\n');
            if (newline >= 0) {
                message = message.substring(0, newline);
            }
        }
        TokenStreamLocation location = e.getLocation();
        if (location != null && location.getCharOffset() >= 0) {
            return message + " (at character " + location.getCharOffset() + ")";
        }
        return message;
    }

    private static String decodeUtf8(byte[] json) throws SafetensorsFormatException {
        CharsetDecoder decoder = StandardCharsets.UTF_8
                .newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer input = ByteBuffer.wrap(json);
        try {
            return decoder.decode(input).toString();
        } catch (CharacterCodingException e) {
            throw new SafetensorsFormatException(
                    "header is not valid UTF-8 (near byte " + input.position() + " of the header)", null, e);
        }
    }

    // ---------------------------------------------------------------- writing

    /** Orders tensors as Hugging Face's serializer does: by decreasing alignment, then by name (UTF-8 bytes). */
    static final Comparator<TensorInfo> WRITE_ORDER = Comparator.comparing(TensorInfo::dtype, Comparator.reverseOrder())
            .thenComparing(TensorInfo::name, HeaderCodec::compareUtf8);

    /** Orders strings by their UTF-8 bytes, as Rust and Hugging Face do. */
    static int compareUtf8(String a, String b) {
        return Arrays.compareUnsigned(utf8(a), utf8(b));
    }

    /** The UTF-8 bytes of {@code text}, rejecting unpaired surrogates rather than writing '?'. */
    static byte[] utf8(String text) {
        CharsetEncoder encoder = StandardCharsets.UTF_8
                .newEncoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        try {
            ByteBuffer encoded = encoder.encode(CharBuffer.wrap(text));
            byte[] bytes = new byte[encoded.remaining()];
            encoded.get(bytes);
            return bytes;
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException("'" + text + "' is not valid Unicode (unpaired surrogate)", e);
        }
    }

    /**
     * The header bytes for {@code tensors} (already in write order with their offsets) and {@code metadata} (null for
     * none; written in the map's iteration order), padded with spaces to a multiple of 8.
     */
    static byte[] write(List<TensorInfo> tensors, Map<String, String> metadata) {
        StringBuilder json = new StringBuilder(64 + 96 * tensors.size());
        json.append('{');
        boolean first = true;
        if (metadata != null) {
            appendString(json, SafetensorsHeader.METADATA_KEY).append(":{");
            boolean firstEntry = true;
            for (Map.Entry<String, String> entry : metadata.entrySet()) {
                if (!firstEntry) {
                    json.append(',');
                }
                appendString(json, entry.getKey()).append(':');
                appendString(json, entry.getValue());
                firstEntry = false;
            }
            json.append('}');
            first = false;
        }
        for (TensorInfo tensor : tensors) {
            if (!first) {
                json.append(',');
            }
            first = false;
            appendString(json, tensor.name()).append(":{\"dtype\":\"");
            json.append(tensor.dtype().wireName()).append("\",\"shape\":[");
            long[] shape = tensor.shape();
            for (int i = 0; i < shape.length; i++) {
                if (i > 0) {
                    json.append(',');
                }
                json.append(shape[i]);
            }
            json.append("],\"data_offsets\":[")
                    .append(tensor.begin())
                    .append(',')
                    .append(tensor.end())
                    .append("]}");
        }
        json.append('}');
        byte[] bytes = utf8(json.toString());
        int padded = (bytes.length + 7) & ~7;
        byte[] out = Arrays.copyOf(bytes, padded);
        Arrays.fill(out, bytes.length, padded, (byte) ' ');
        return out;
    }

    /** Appends a JSON string escaped as serde_json does: short escapes where JSON has them, else lowercase \\u00xx. */
    private static StringBuilder appendString(StringBuilder json, String value) {
        json.append('"');
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            switch (c) {
                case '"' -> json.append("\\\"");
                case '\\' -> json.append("\\\\");
                case '\b' -> json.append("\\b");
                case '\f' -> json.append("\\f");
                case '\n' -> json.append("\\n");
                case '\r' -> json.append("\\r");
                case '\t' -> json.append("\\t");
                default -> {
                    if (c < 0x20) {
                        json.append("\\u00")
                                .append(Character.forDigit(c >> 4, 16))
                                .append(Character.forDigit(c & 0xF, 16));
                    } else {
                        json.append(c);
                    }
                }
            }
        }
        return json.append('"');
    }
}
