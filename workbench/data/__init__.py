"""Market data: sources, decoders, candles, depth, the lake loader and replay."""
