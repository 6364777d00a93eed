package io.fedtune.registry.adapter;

import io.fedtune.protocol.api.registry.AdapterMethod;
import io.fedtune.protocol.api.registry.AdapterPeftConfig;
import io.fedtune.protocol.peft.LoraKey;
import io.fedtune.protocol.peft.LoraMatrix;
import io.fedtune.protocol.peft.LoraTargets;
import io.fedtune.protocol.peft.PeftKeys;
import io.fedtune.protocol.safetensors.SafetensorsFormatException;
import io.fedtune.protocol.safetensors.SafetensorsHeader;
import io.fedtune.protocol.safetensors.SafetensorsLimits;
import io.fedtune.protocol.safetensors.SafetensorsStreamReader;
import io.fedtune.protocol.safetensors.TensorInfo;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * Passes an adapter's bytes through unchanged while checking that they are the adapter the metadata describes: a
 * well-formed safetensors body with PEFT key names, LoRA pairs of the declared rank on the declared target modules
 * (or one {@code prompt_embeddings} of the declared number of virtual tokens), floating-point tensors only, and no
 * NaN or infinity. A failed check surfaces as an {@link InvalidAdapterException} from {@code read}, so whatever is
 * storing the stream discards what it has written.
 *
 * <p>It pulls the body through the protocol's one-pass {@link SafetensorsStreamReader}, recording the bytes the
 * reader consumes and handing them on; memory stays bounded by the header (at most {@link #MAX_HEADER_BYTES}) plus
 * one chunk.
 */
final class AdapterContentCheck extends InputStream {

    /** The largest safetensors header accepted for an adapter. */
    static final long MAX_HEADER_BYTES = 16L << 20;

    private static final int CHUNK = 64 * 1024;

    private final Recorder source;
    private final AdapterPeftConfig peft;
    private final byte[] scratch = new byte[CHUNK];
    private SafetensorsStreamReader reader;
    private InputStream tensorData;
    private FiniteCheck finite;
    private boolean finished;

    AdapterContentCheck(InputStream body, AdapterPeftConfig peft) {
        this.source = new Recorder(body);
        this.peft = peft;
    }

    /** The adapter is not what its metadata says, or not a valid adapter at all. */
    static final class InvalidAdapterException extends IOException {
        InvalidAdapterException(String message) {
            super(message);
        }
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        int n = read(one, 0, 1);
        return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (len == 0) {
            return 0;
        }
        while (source.pending() == 0) {
            if (finished) {
                return -1;
            }
            advance();
        }
        return source.drain(b, off, len);
    }

    private void advance() throws IOException {
        try {
            if (reader == null) {
                reader = SafetensorsStreamReader.open(
                        source, SafetensorsLimits.DEFAULT.withMaxHeaderBytes(MAX_HEADER_BYTES));
                checkLayout(reader.header());
                return;
            }
            if (tensorData != null) {
                int n = tensorData.read(scratch);
                if (n >= 0) {
                    finite.accept(scratch, n);
                    return;
                }
                tensorData = null;
            }
            if (reader.hasNext()) {
                TensorInfo tensor = reader.next();
                tensorData = reader.data();
                finite = new FiniteCheck(tensor);
                return;
            }
            reader.finish();
            finished = true;
        } catch (SafetensorsFormatException e) {
            throw new InvalidAdapterException("Not a valid safetensors body: " + e.getMessage());
        }
    }

    private void checkLayout(SafetensorsHeader header) throws InvalidAdapterException {
        if (header.tensors().isEmpty()) {
            throw new InvalidAdapterException("The adapter holds no tensors");
        }
        for (TensorInfo tensor : header.tensors()) {
            if (!tensor.dtype().isFloatingPoint()) {
                throw new InvalidAdapterException("Tensor " + tensor.name() + " is "
                        + tensor.dtype().wireName() + "; adapters are F32, F16 or BF16");
            }
        }
        if (peft.method() == AdapterMethod.PROMPT_TUNING) {
            checkPromptEmbeddings(header);
        } else {
            checkLoraPairs(header);
        }
    }

    private void checkPromptEmbeddings(SafetensorsHeader header) throws InvalidAdapterException {
        if (header.tensors().size() != 1
                || !PeftKeys.isPromptEmbeddings(header.tensors().get(0).name())) {
            throw new InvalidAdapterException("A prompt-tuning adapter holds exactly one tensor, "
                    + PeftKeys.PROMPT_EMBEDDINGS + "; found " + header.names());
        }
        long[] shape = header.tensors().get(0).shape();
        if (shape.length != 2 || shape[0] != peft.numVirtualTokens()) {
            throw new InvalidAdapterException(PeftKeys.PROMPT_EMBEDDINGS + " has shape " + Arrays.toString(shape)
                    + "; expected [" + peft.numVirtualTokens() + ", hidden]");
        }
    }

    private void checkLoraPairs(SafetensorsHeader header) throws InvalidAdapterException {
        Map<String, long[][]> pairs = new HashMap<>();
        for (TensorInfo tensor : header.tensors()) {
            LoraKey key;
            try {
                key = PeftKeys.parse(tensor.name());
            } catch (IllegalArgumentException e) {
                throw new InvalidAdapterException(e.getMessage());
            }
            if (!LoraTargets.matches(key.modulePath(), peft.targetModules())) {
                throw new InvalidAdapterException("Tensor " + tensor.name() + " adapts module " + key.modulePath()
                        + ", which is not among the target modules " + peft.targetModules());
            }
            long[] shape = tensor.shape();
            long rank = shape.length == 2 ? (key.matrix() == LoraMatrix.A ? shape[0] : shape[1]) : -1;
            if (rank != peft.rank()) {
                throw new InvalidAdapterException("Tensor " + tensor.name() + " has shape " + Arrays.toString(shape)
                        + "; expected " + (key.matrix() == LoraMatrix.A ? "[r, in]" : "[out, r]") + " with r = "
                        + peft.rank());
            }
            pairs.computeIfAbsent(key.modulePath(), path -> new long[2][])[
                    key.matrix().ordinal()] = shape;
        }
        for (Map.Entry<String, long[][]> pair : pairs.entrySet()) {
            if (pair.getValue()[0] == null || pair.getValue()[1] == null) {
                throw new InvalidAdapterException(
                        "Module " + pair.getKey() + " lacks its " + (pair.getValue()[0] == null ? "lora_A" : "lora_B"));
            }
        }
    }

    /** Finds NaN and infinity in a tensor's little-endian bytes as they stream past, element by element. */
    private static final class FiniteCheck {

        private final TensorInfo tensor;
        private final int size;
        private final byte[] partial;
        private int filled;
        private long element;

        FiniteCheck(TensorInfo tensor) {
            this.tensor = tensor;
            this.size = tensor.dtype().byteSize();
            this.partial = new byte[size];
        }

        void accept(byte[] bytes, int length) throws InvalidAdapterException {
            int i = 0;
            while (filled > 0 && i < length) {
                partial[filled++] = bytes[i++];
                if (filled == size) {
                    check(partial, 0);
                    filled = 0;
                }
            }
            int whole = i + (length - i) / size * size;
            for (; i < whole; i += size) {
                check(bytes, i);
            }
            while (i < length) {
                partial[filled++] = bytes[i++];
            }
        }

        private void check(byte[] bytes, int at) throws InvalidAdapterException {
            boolean special = switch (tensor.dtype()) {
                case F32 -> (bytes[at + 3] & 0x7F) == 0x7F && (bytes[at + 2] & 0x80) != 0;
                case BF16 -> (bytes[at + 1] & 0x7F) == 0x7F && (bytes[at] & 0x80) != 0;
                case F16 -> (bytes[at + 1] & 0x7C) == 0x7C;
                default -> false;
            };
            if (special) {
                throw new InvalidAdapterException(
                        "Tensor " + tensor.name() + " holds NaN or infinity at element " + element);
            }
            element++;
        }
    }

    /** Reads from the body and keeps what was read until it is drained downstream. */
    private static final class Recorder extends InputStream {

        private final InputStream in;
        private byte[] kept = new byte[CHUNK];
        private int start;
        private int end;

        Recorder(InputStream in) {
            this.in = in;
        }

        int pending() {
            return end - start;
        }

        int drain(byte[] b, int off, int len) {
            int n = Math.min(len, end - start);
            System.arraycopy(kept, start, b, off, n);
            start += n;
            if (start == end) {
                start = 0;
                end = 0;
            }
            return n;
        }

        @Override
        public int read() throws IOException {
            int b = in.read();
            if (b >= 0) {
                keep(new byte[] {(byte) b}, 0, 1);
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = in.read(b, off, len);
            if (n > 0) {
                keep(b, off, n);
            }
            return n;
        }

        private void keep(byte[] b, int off, int n) {
            if (end + n > kept.length) {
                if (end - start + n <= kept.length) {
                    System.arraycopy(kept, start, kept, 0, end - start);
                } else {
                    kept = Arrays.copyOfRange(kept, start, start + Math.max(2 * kept.length, end - start + n));
                }
                end -= start;
                start = 0;
            }
            System.arraycopy(b, off, kept, end, n);
            end += n;
        }
    }
}
