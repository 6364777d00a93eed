package io.fedtune.protocol.safetensors;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Optional;

/**
 * A validated safetensors header: the tensors in file order (by data offset), the optional {@code __metadata__} map,
 * and where the data section lies. Only a header whose tensors exactly cover the data section in order exists as an
 * instance of this class.
 */
public final class SafetensorsHeader {

    /** The reserved header key of the free-form string map. */
    public static final String METADATA_KEY = "__metadata__";

    private final List<TensorInfo> tensors;
    private final Map<String, TensorInfo> byName;
    private final Map<String, String> metadata;
    private final long headerLength;
    private final long dataLength;

    SafetensorsHeader(List<TensorInfo> tensors, Map<String, String> metadata, long headerLength, long dataLength) {
        this.tensors = List.copyOf(tensors);
        Map<String, TensorInfo> index = new LinkedHashMap<>();
        for (TensorInfo tensor : this.tensors) {
            index.put(tensor.name(), tensor);
        }
        this.byName = Collections.unmodifiableMap(index);
        this.metadata = metadata == null ? null : Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
        this.headerLength = headerLength;
        this.dataLength = dataLength;
    }

    /** The tensors in file order: by their offset in the data section. */
    public List<TensorInfo> tensors() {
        return tensors;
    }

    /** The tensor names in file order. */
    public List<String> names() {
        return List.copyOf(byName.keySet());
    }

    /** How many tensors there are. */
    public int size() {
        return tensors.size();
    }

    /** Whether a tensor of that name exists. */
    public boolean contains(String name) {
        return byName.containsKey(name);
    }

    /** The tensor of that name, if any. */
    public Optional<TensorInfo> find(String name) {
        return Optional.ofNullable(byName.get(name));
    }

    /**
     * The tensor of that name.
     *
     * @throws NoSuchElementException naming the tensor when there is none
     */
    public TensorInfo tensor(String name) {
        TensorInfo tensor = byName.get(name);
        if (tensor == null) {
            throw new NoSuchElementException("no tensor named '" + name + "' among " + tensors.size() + " tensors");
        }
        return tensor;
    }

    /** The {@code __metadata__} map in header order; empty when the header has none. */
    public Map<String, String> metadata() {
        return metadata == null ? Map.of() : metadata;
    }

    /** Whether the header has a {@code __metadata__} entry. */
    public boolean hasMetadata() {
        return metadata != null;
    }

    /** Length of the JSON header in bytes, padding included: the value of the 8-byte length field. */
    public long headerLength() {
        return headerLength;
    }

    /** Offset in the file of the first data byte: {@code 8 + headerLength()}. */
    public long dataOffset() {
        return 8 + headerLength;
    }

    /** Length of the data section: the end offset of the last tensor. */
    public long dataLength() {
        return dataLength;
    }

    /** Length of the whole file or body. */
    public long totalLength() {
        return dataOffset() + dataLength;
    }

    @Override
    public String toString() {
        return "SafetensorsHeader[" + tensors.size() + " tensors, " + dataLength + " data bytes]";
    }
}
