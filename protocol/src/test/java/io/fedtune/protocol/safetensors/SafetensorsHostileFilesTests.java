package io.fedtune.protocol.safetensors;

import static io.fedtune.protocol.safetensors.Bodies.assertRejected;
import static io.fedtune.protocol.safetensors.Bodies.body;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsHostileFilesTests {

    @TempDir
    Path directory;

    private static final String TWO_TENSORS = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
            + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]}}";

    @Test
    void aWellFormedBodyIsAccepted() throws Exception {
        Path file = Bodies.file(directory, "ok.safetensors", body(TWO_TENSORS, 16));
        try (SafetensorsFile opened = SafetensorsFile.open(file)) {
            assertThat(opened.header().names()).containsExactly("a", "b");
        }
    }

    @Test
    void truncatedDataIsRejectedNamingTheTensor() {
        SafetensorsFormatException e = assertRejected(directory, body(TWO_TENSORS, 12), "truncated data", "'b'");
        assertThat(e.tensorName()).contains("b");
    }

    @Test
    void aHeaderLengthBeyondTheFileIsRejected() {
        byte[] header = TWO_TENSORS.getBytes(StandardCharsets.UTF_8);
        assertRejected(
                directory, body(header.length + 100, header, new byte[16]), "header length", "runs beyond the end");
    }

    @Test
    void aHeaderClaimingTenGigabytesIsRejectedBeforeAnythingIsAllocated() {
        byte[] tiny = body(10_000_000_000L, "{}".getBytes(StandardCharsets.UTF_8), new byte[0]);
        assertRejected(directory, tiny, "header length 10000000000 exceeds the limit of 100000000 bytes");
    }

    @Test
    void aStreamWhoseHeaderClaimsTenGigabytesIsRejectedWithoutReadingFurther() throws Exception {
        byte[] prefix = body(10_000_000_000L, new byte[0], new byte[0]);
        InputStream endless = new InputStream() {
            private int position;

            @Override
            public int read() {
                return position < prefix.length ? prefix[position++] & 0xFF : '{';
            }
        };
        assertThatThrownBy(() -> SafetensorsStreamReader.open(endless))
                .isInstanceOf(SafetensorsFormatException.class)
                .hasMessageContaining("exceeds the limit");
    }

    @Test
    void anUnsignedHeaderLengthAboveTwoToTheSixtyThreeIsRejected() {
        byte[] huge = body(-1L, new byte[0], new byte[0]);
        assertRejected(directory, huge, "header length 18446744073709551615 exceeds the limit");
    }

    @Test
    void theHeaderBoundIsConfigurable() {
        assertRejected(
                directory,
                body(TWO_TENSORS, 16),
                SafetensorsLimits.DEFAULT.withMaxHeaderBytes(64),
                "exceeds the limit of 64 bytes");
    }

    @Test
    void theDataBoundRejectsABodyBeforeItsDataIsRead() {
        assertRejected(
                directory,
                body(TWO_TENSORS, 16),
                SafetensorsLimits.DEFAULT.withMaxDataBytes(15),
                "data section of 16 bytes exceeds the limit of 15 bytes");
    }

    @Test
    void negativeOffsetsAreRejected() {
        String json = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[-8,0]}}";
        assertRejected(directory, body(json, 8), "tensor 'a'", "data_offsets must hold non-negative integers", "-8");
    }

    @Test
    void overlappingTensorsAreRejected() {
        String json = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}";
        assertRejected(directory, body(json, 12), "'a' and 'b' overlap", "begins at 4");
    }

    @Test
    void aGapBetweenTensorsIsRejected() {
        String json = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[12,20]}}";
        assertRejected(directory, body(json, 20), "gap in the data section", "[8, 12)", "'b'");
    }

    @Test
    void aGapBeforeTheFirstTensorIsRejected() {
        String json = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}";
        assertRejected(directory, body(json, 12), "gap in the data section", "[0, 4)");
    }

    @Test
    void dataBeyondTheLastTensorIsRejected() throws Exception {
        Path file = Bodies.file(directory, "tail.safetensors", body(TWO_TENSORS, 20));
        assertThatThrownBy(() -> SafetensorsFile.open(file))
                .isInstanceOf(SafetensorsFormatException.class)
                .hasMessageContaining("bytes [16, 20) at its end belong to no tensor");
        assertThatThrownBy(() -> SafetensorsStreamReader.validate(
                        new ByteArrayInputStream(body(TWO_TENSORS, 20)), SafetensorsLimits.DEFAULT))
                .isInstanceOf(SafetensorsFormatException.class)
                .hasMessageContaining("trailing bytes after the data section");
    }

    @Test
    void anUnknownDtypeIsRejectedNamingItAndTheTensor() {
        String json = "{\"w\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[0,8]}}";
        assertRejected(directory, body(json, 8), "tensor 'w' has unknown dtype 'F64'", "supported: BOOL");
    }

    @Test
    void aShapeThatDisagreesWithTheByteSizeIsRejected() {
        String json = "{\"w\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,20]}}";
        assertRejected(
                directory,
                body(json, 20),
                "tensor 'w' size mismatch",
                "shape [2, 3] needs 24 bytes but data_offsets [0, 20) hold 20");
    }

    @Test
    void aShapeWhoseByteSizeOverflowsIsRejected() {
        String json = "{\"w\":{\"dtype\":\"I64\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,8]}}";
        assertRejected(directory, body(json, 8), "tensor 'w' shape [4294967296, 4294967296] overflows");
        String justOver = "{\"w\":{\"dtype\":\"I64\",\"shape\":[1152921504606846976],\"data_offsets\":[0,8]}}";
        assertRejected(directory, body(justOver, 8), "tensor 'w' shape [1152921504606846976] overflows");
    }

    @Test
    void negativeAndFractionalDimensionsAreRejected() {
        assertRejected(
                directory,
                body("{\"w\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", 4),
                "tensor 'w' shape must hold non-negative integers, found -1");
        assertRejected(
                directory,
                body("{\"w\":{\"dtype\":\"F32\",\"shape\":[1.0],\"data_offsets\":[0,4]}}", 4),
                "tensor 'w' shape must hold non-negative integers, found 1.0");
        assertRejected(
                directory,
                body("{\"w\":{\"dtype\":\"F32\",\"shape\":[99999999999999999999],\"data_offsets\":[0,4]}}", 4),
                "tensor 'w' shape value 99999999999999999999 is out of range");
    }

    @Test
    void anEndBeforeTheBeginIsRejected() {
        String json = "{\"w\":{\"dtype\":\"U8\",\"shape\":[0],\"data_offsets\":[8,4]}}";
        assertRejected(directory, body(json, 8), "tensor 'w' has data_offsets end 4 before begin 8");
    }

    @Test
    void invalidJsonIsRejected() {
        assertRejected(
                directory,
                body("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}", 4),
                "header is not valid JSON");
        assertRejected(directory, body("{\"w\" 1}", 0), "header is not valid JSON");
        assertRejected(directory, body("{} x", 0), "header is not valid JSON");
    }

    @Test
    void aHeaderThatIsNotAnObjectIsRejected() {
        assertRejected(directory, body("[1,2]   ", 0), "header must be a JSON object starting with '{', found '['");
        assertRejected(directory, body(" {}", 0), "header must be a JSON object starting with '{'");
        assertRejected(directory, body("", 0), "header must be a JSON object starting with '{', found nothing");
        assertRejected(directory, body("{\"w\":[1,2]}", 0), "entry of tensor 'w' must be an object, found an array");
    }

    @Test
    void duplicateTensorNamesAreRejected() {
        String json = "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                + "\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}";
        assertRejected(directory, body(json, 8), "duplicate tensor name 'w'");
    }

    @Test
    void duplicateMetadataKeysAndFieldsAreRejected() {
        assertRejected(
                directory,
                body("{\"__metadata__\":{\"k\":\"1\",\"k\":\"2\"}}", 0),
                "duplicate key 'k' in '__metadata__'");
        assertRejected(directory, body("{\"__metadata__\":{},\"__metadata__\":{}}", 0), "duplicate key '__metadata__'");
        assertRejected(
                directory,
                body("{\"w\":{\"dtype\":\"F32\",\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4),
                "tensor 'w' has duplicate field 'dtype'");
    }

    @Test
    void metadataValuesMustBeStrings() {
        assertRejected(
                directory,
                body("{\"__metadata__\":{\"epochs\":3}}", 0),
                "'__metadata__' value of 'epochs' must be a string, found a number");
    }

    @Test
    void unknownAndMissingFieldsAreRejected() {
        assertRejected(
                directory,
                body("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4],\"x\":{}}}", 4),
                "tensor 'w' has unknown field 'x'");
        assertRejected(
                directory, body("{\"w\":{\"dtype\":\"F32\",\"shape\":[1]}}", 0), "tensor 'w' has no 'data_offsets'");
        assertRejected(
                directory,
                body("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4,8]}}", 4),
                "tensor 'w' data_offsets must be [begin, end], found 3 numbers");
    }

    @Test
    void aHeaderThatIsNotUtf8IsRejected() {
        byte[] header = "{\"w\":1}".getBytes(StandardCharsets.US_ASCII);
        header[2] = (byte) 0xC3;
        assertRejected(directory, body(header.length, header, new byte[0]), "header is not valid UTF-8");
    }

    @Test
    void aFileShorterThanTheLengthFieldIsRejected() {
        assertRejected(directory, new byte[] {8, 0, 0}, "8-byte header length");
    }

    @Test
    void booleanBytesOtherThanZeroAndOneAreRejectedWhenRead() throws Exception {
        byte[] body = body(
                "{\"m\":{\"dtype\":\"BOOL\",\"shape\":[3],\"data_offsets\":[0,3]}}"
                        .getBytes(StandardCharsets.UTF_8)
                        .length,
                "{\"m\":{\"dtype\":\"BOOL\",\"shape\":[3],\"data_offsets\":[0,3]}}".getBytes(StandardCharsets.UTF_8),
                new byte[] {1, 2, 0});
        try (SafetensorsFile file = SafetensorsFile.open(Bodies.file(directory, "bool.safetensors", body))) {
            assertThatThrownBy(() -> file.readBooleans("m"))
                    .isInstanceOf(SafetensorsFormatException.class)
                    .hasMessageContaining("BOOL tensor 'm' element 1 is neither 0 nor 1");
        }
        SafetensorsStreamReader reader = SafetensorsStreamReader.open(new ByteArrayInputStream(body));
        reader.next();
        assertThatThrownBy(reader::readBooleans)
                .isInstanceOf(SafetensorsFormatException.class)
                .hasMessageContaining("element 1 is neither 0 nor 1");
    }

    @Test
    void readingATensorAsTheWrongTypeSaysWhichTypesFit() throws Exception {
        String json = "{\"ids\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[0,8]}}";
        try (SafetensorsFile file = SafetensorsFile.open(Bodies.file(directory, "ids.safetensors", body(json, 8)))) {
            assertThatThrownBy(() -> file.readFloats("ids"))
                    .isInstanceOf(SafetensorsFormatException.class)
                    .hasMessageContaining("tensor 'ids' is I64; readFloats needs F32, F16 or BF16");
            assertThatThrownBy(() -> file.readInts("ids")).hasMessageContaining("readInts needs I32, I8 or U8");
            assertThatThrownBy(() -> file.readFloats("missing")).hasMessageContaining("no tensor named 'missing'");
        }
    }

    @Test
    void aStreamThatEndsInsideTheHeaderIsRejected() {
        byte[] body = body(TWO_TENSORS, 16);
        byte[] cut = Arrays.copyOf(body, 20);
        assertThatThrownBy(() -> SafetensorsStreamReader.open(new ByteArrayInputStream(cut)))
                .isInstanceOf(SafetensorsFormatException.class)
                .hasMessageContaining("runs beyond the end of the stream, which held only 12 bytes");
    }
}
