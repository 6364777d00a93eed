package io.fedtune.protocol.safetensors;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Byte compatibility with the safetensors format as Hugging Face writes it: a fixture from an independent Python
 * writer ({@code fixtures/write_fixture.py}), Hugging Face's own serialization vectors, and a hand parse of fedtune's
 * output.
 */
class SafetensorsCompatibilityTests {

    private static Path fixture() throws URISyntaxException {
        return Path.of(SafetensorsCompatibilityTests.class
                .getResource("/fixtures/compat.safetensors")
                .toURI());
    }

    @Test
    void theFixtureFromAnIndependentPythonWriterReadsBackToExactValues() throws Exception {
        try (SafetensorsFile file = SafetensorsFile.open(fixture())) {
            assertThat(file.metadata())
                    .containsExactlyInAnyOrderEntriesOf(Map.of("format", "pt", "source", "write_fixture.py"));
            assertThat(file.header().names())
                    .containsExactly("i64", "empty", "f32", "scalar", "i32", "bf16", "f16", "i8", "u8", "bool");
            assertThat(file.readFloats("f32")).containsExactly(1.0f, -2.5f, 3.25f, 0.0f, 0.15625f, Float.MAX_VALUE);
            assertThat(file.tensor("f32").shape()).containsExactly(2, 3);
            assertThat(file.readFloats("scalar")).containsExactly(42.0f);
            assertThat(file.tensor("scalar").shape()).isEmpty();
            assertThat(file.readFloats("empty")).isEmpty();
            assertThat(file.tensor("empty").shape()).containsExactly(0, 3);
            assertThat(file.readFloats("f16")).containsExactly(1.0f, -0.5f, 65504.0f, 0x1p-24f);
            assertThat(file.readFloats("bf16")).containsExactly(1.0f, -3.0f, 0x1p-7f);
            assertThat(file.readLongs("i64")).containsExactly(Long.MIN_VALUE, Long.MAX_VALUE);
            assertThat(file.readInts("i32")).containsExactly(Integer.MIN_VALUE, Integer.MAX_VALUE, 0, -1);
            assertThat(file.readBytes("i8")).containsExactly(-128, 127, 0);
            assertThat(file.readInts("u8")).containsExactly(0, 255, 7);
            assertThat(file.readBooleans("bool")).containsExactly(true, false, false, true);
            assertThat(file.tensor("bool").shape()).containsExactly(2, 2);
        }
    }

    @Test
    void theFixtureStreamsInFileOrderWithTheSameValues() throws Exception {
        try (InputStream in = Files.newInputStream(fixture())) {
            SafetensorsStreamReader reader = SafetensorsStreamReader.open(in);
            List<String> order = new ArrayList<>();
            while (reader.hasNext()) {
                TensorInfo tensor = reader.next();
                order.add(tensor.name());
                if (tensor.name().equals("bf16")) {
                    assertThat(reader.readFloats()).containsExactly(1.0f, -3.0f, 0x1p-7f);
                }
            }
            assertThat(reader.finish().byteCount()).isEqualTo(Files.size(fixture()));
            assertThat(order).hasSize(10).startsWith("i64").endsWith("bool");
        }
    }

    @Test
    void fedtunesWriterReproducesTheFixtureByteForByte() throws Exception {
        byte[] written = Bodies.bytes(new SafetensorsWriter()
                .metadata("source", "write_fixture.py")
                .metadata("format", "pt")
                .addBooleans("bool", new long[] {2, 2}, new boolean[] {true, false, false, true})
                .addBytes("u8", DType.U8, new long[] {3}, new byte[] {0, (byte) 255, 7})
                .addBytes("i8", DType.I8, new long[] {3}, new byte[] {-128, 127, 0})
                .addFloats("f16", DType.F16, new long[] {4}, new float[] {1.0f, -0.5f, 65504.0f, 0x1p-24f})
                .addFloats("bf16", DType.BF16, new long[] {3}, new float[] {1.0f, -3.0f, 0x1p-7f})
                .addInts("i32", new long[] {2, 2}, new int[] {Integer.MIN_VALUE, Integer.MAX_VALUE, 0, -1})
                .add("scalar", FloatTensor.scalar(42.0f))
                .add("f32", FloatTensor.of(new float[] {1.0f, -2.5f, 3.25f, 0.0f, 0.15625f, Float.MAX_VALUE}, 2, 3))
                .add("empty", FloatTensor.zeros(0, 3))
                .addLongs("i64", new long[] {2}, new long[] {Long.MIN_VALUE, Long.MAX_VALUE}));

        assertThat(written).isEqualTo(Files.readAllBytes(fixture()));
    }

    @Test
    void fedtunesWriterMatchesHuggingFacesOwnSerializationVectors() {
        byte[] data = ByteBuffer.allocate(24)
                .order(ByteOrder.LITTLE_ENDIAN)
                .putFloat(0)
                .putFloat(1)
                .putFloat(2)
                .putFloat(3)
                .putFloat(4)
                .putFloat(5)
                .array();
        float[] values = {0, 1, 2, 3, 4, 5};

        String attn = "{\"attn.0\":{\"dtype\":\"F32\",\"shape\":[1,2,3],\"data_offsets\":[0,24]}}";
        assertThat(Bodies.bytes(new SafetensorsWriter().add("attn.0", FloatTensor.of(values, 1, 2, 3))))
                .isEqualTo(Bodies.body(64, attn.getBytes(StandardCharsets.UTF_8), data));

        String aligned = "{\"attn0\":{\"dtype\":\"F32\",\"shape\":[1,1,2,3],\"data_offsets\":[0,24]}}       ";
        assertThat(Bodies.bytes(new SafetensorsWriter().add("attn0", FloatTensor.of(values, 1, 1, 2, 3))))
                .isEqualTo(Bodies.body(72, aligned.getBytes(StandardCharsets.UTF_8), data));

        assertThat(Bodies.bytes(new SafetensorsWriter()))
                .isEqualTo(Bodies.body(8, "{}      ".getBytes(StandardCharsets.UTF_8), new byte[0]));

        String framework = "{\"__metadata__\":{\"framework\":\"pt\"}}     ";
        assertThat(Bodies.bytes(new SafetensorsWriter().metadata("framework", "pt")))
                .isEqualTo(Bodies.body(40, framework.getBytes(StandardCharsets.UTF_8), new byte[0]));
    }

    @Test
    void fedtunesOutputHasTheExactSpecLayout() {
        byte[] body = Bodies.bytes(new SafetensorsWriter()
                .metadata("format", "pt")
                .add("b.weight", FloatTensor.of(new float[] {0.5f, -1.5f}, 2))
                .addLongs("a.ids", new long[] {1}, new long[] {7})
                .add("a.weight", FloatTensor.of(new float[] {3f}, 1, 1), DType.F16));
        ByteBuffer buffer = ByteBuffer.wrap(body).order(ByteOrder.LITTLE_ENDIAN);

        long headerLength = buffer.getLong(0);
        assertThat(headerLength % 8).isZero();
        String header = new String(body, 8, (int) headerLength, StandardCharsets.UTF_8);
        String json = header.stripTrailing();
        assertThat(header.substring(json.length())).matches(" *");
        assertThat(json).startsWith("{\"__metadata__\":{\"format\":\"pt\"},");

        JsonNode root = JsonMapper.builder().build().readTree(json);
        Iterator<String> names = root.propertyNames().iterator();
        assertThat(names.next()).isEqualTo("__metadata__");
        assertThat(List.of(names.next(), names.next(), names.next())).containsExactly("a.ids", "b.weight", "a.weight");
        assertThat(root.get("a.ids").toString()).isEqualTo("{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[0,8]}");
        assertThat(root.get("b.weight").toString())
                .isEqualTo("{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]}");
        assertThat(root.get("a.weight").toString())
                .isEqualTo("{\"dtype\":\"F16\",\"shape\":[1,1],\"data_offsets\":[16,18]}");

        int data = 8 + (int) headerLength;
        assertThat(body.length).isEqualTo(data + 18);
        assertThat(buffer.getLong(data)).isEqualTo(7L);
        assertThat(buffer.getFloat(data + 8)).isEqualTo(0.5f);
        assertThat(buffer.getFloat(data + 12)).isEqualTo(-1.5f);
        assertThat(buffer.getShort(data + 16)).isEqualTo((short) 0x4200);
    }

    @Test
    void theFixtureScriptIsCommittedBesideTheFixture() throws IOException, URISyntaxException {
        Path script = fixture().resolveSibling("write_fixture.py");
        assertThat(Files.readString(script)).contains("import struct").doesNotContain("import numpy");
    }
}
