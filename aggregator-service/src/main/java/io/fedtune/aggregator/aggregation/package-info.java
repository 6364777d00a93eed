/**
 * Aggregation math and its streaming I/O, in plain Java (no Spring): the safetensors layout of updates and adapters,
 * the tile-by-tile dense engine (FedAvg and its server optimizers, robust statistics, Krum, clipping and DP noise)
 * and the low-rank LoRA modes (exact re-factorisation, FLoRA stacking, HetLoRA). Memory grows with the adapter and
 * the tile size, never with clients × adapter.
 */
package io.fedtune.aggregator.aggregation;
