package io.fedtune.protocol.codec;

/**
 * An update cannot be encoded: a value is NaN or infinite, or beyond what the codec's type holds. The message names
 * the codec, the tensor, the element and its value; nothing was written.
 */
public class UnencodableTensorException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    private final String tensorName;
    private final long index;

    /** A value of {@code tensorName} at flat {@code index} that the codec cannot encode, for the reason given. */
    public UnencodableTensorException(String codec, String tensorName, long index, float value, String reason) {
        super(codec + " codec cannot encode tensor '" + tensorName + "': element " + index + " is " + value + ", "
                + reason);
        this.tensorName = tensorName;
        this.index = index;
    }

    /** The tensor at fault. */
    public String tensorName() {
        return tensorName;
    }

    /** The flat (row-major) index of the element at fault. */
    public long index() {
        return index;
    }
}
