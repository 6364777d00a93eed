package io.fedtune.trainer.model;

import ai.djl.Device;
import java.lang.management.ManagementFactory;

/**
 * How to load a model.
 *
 * @param device where the weights live (DJL device; CPU unless a CUDA libtorch is configured)
 * @param memoryBudgetBytes the most memory the weights may take once widened to FP32; loading refuses, before reading
 *     any tensor, a model that needs more
 */
public record LoadOptions(Device device, long memoryBudgetBytes) {
    public LoadOptions {
        if (device == null) {
            throw new IllegalArgumentException("device is required");
        }
        if (memoryBudgetBytes <= 0) {
            throw new IllegalArgumentException("memoryBudgetBytes must be positive, got " + memoryBudgetBytes);
        }
    }

    /** CPU, with a budget of 80% of the machine's physical memory. */
    public static LoadOptions defaults() {
        return new LoadOptions(Device.cpu(), (long) (physicalMemory() * 0.8));
    }

    public LoadOptions withMemoryBudget(long bytes) {
        return new LoadOptions(device, bytes);
    }

    static long physicalMemory() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            return os.getTotalMemorySize();
        }
        return Runtime.getRuntime().maxMemory();
    }
}
