/** Types of scripts/build-wasm.mjs (imported by test/simd.test.ts). */
export declare const WAT_PATH: string;
export declare const BINARY_TS_PATH: string;
/** @returns the text of src/core/kernels/simdBinary.ts for the current src/core/kernels/simd.wat */
export declare function assembleSimdModule(): Promise<string>;
/** The .wat with every `(f32x4.relaxed_madd a b c)` written as `(f32x4.add (f32x4.mul a b) c)`. */
export declare function withoutRelaxedMadd(source: string): string;
/** The .wat importing a shared memory (threads). */
export declare function withSharedMemory(source: string): string;
