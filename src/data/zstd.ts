import * as zlib from 'node:zlib';

/** Compresses one Parquet page with zstd. */
export type Compress = (input: Uint8Array) => Uint8Array;

/** The zstd level partitions are written with: level 3 is zstd's default (fast, ~3× better than snappy here). */
export const ZSTD_LEVEL = 3;

type NodeZstd = (input: Uint8Array, options?: { params?: Record<number, number> }) => Buffer;

let loading: Promise<Compress> | undefined;
let wasmLoading: Promise<typeof import('@bokuweb/zstd-wasm')> | undefined;

/** The WASM module, initialised once: a second `init` would replace its memory under the other user. */
function zstdWasm(): Promise<typeof import('@bokuweb/zstd-wasm')> {
  wasmLoading ??= (async () => {
    const wasm = await import('@bokuweb/zstd-wasm');
    await wasm.init();
    return wasm;
  })();
  return wasmLoading;
}

/**
 * A zstd compressor in pure JS/WASM terms: Node's own `zlib.zstdCompressSync` where the runtime has it
 * (Node ≥ 22.15, so the Lambda runtime: nothing to bundle), else `@bokuweb/zstd-wasm` (a 250 KB WASM
 * module, loaded once on first use).
 */
export function zstdCompressor(): Promise<Compress> {
  loading ??= load();
  return loading;
}

async function load(): Promise<Compress> {
  const native = (zlib as unknown as { zstdCompressSync?: NodeZstd }).zstdCompressSync;
  const levelParam = (zlib.constants as unknown as Record<string, number>).ZSTD_c_compressionLevel;
  if (native && levelParam !== undefined) {
    return (input) => new Uint8Array(native(input, { params: { [levelParam]: ZSTD_LEVEL } }));
  }
  const wasm = await zstdWasm();
  return (input) => wasm.compress(input, ZSTD_LEVEL);
}

/** Decompresses one Parquet page (for the compaction's merge of a day already written). */
export type Decompress = (input: Uint8Array, outputLength: number) => Uint8Array;

let loadingDecompress: Promise<Decompress> | undefined;

export function zstdDecompressor(): Promise<Decompress> {
  loadingDecompress ??= loadDecompress();
  return loadingDecompress;
}

async function loadDecompress(): Promise<Decompress> {
  const native = (zlib as unknown as { zstdDecompressSync?: NodeZstd }).zstdDecompressSync;
  if (native) return (input) => new Uint8Array(native(input));
  const wasm = await zstdWasm();
  return (input, outputLength) => wasm.decompress(input, { defaultHeapSize: Math.max(outputLength, 1024) });
}
