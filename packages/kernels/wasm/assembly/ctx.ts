/**
 * The call context: one block of i32 fields in linear memory, written by the JavaScript loader.
 * Its field numbers, the zoneout modes and the layout of a zoneout block come from ./abi.ts,
 * generated from src/fused/abi.ts (WASM_CONTEXT says what each field holds); this module adds
 * the accessors. Pointers are byte offsets; float fields are stored as their f32 bits.
 */
export * from './abi';

export function geti(ctx: usize, f: i32): i32 {
  return load<i32>(ctx + ((<usize>f) << 2));
}
export function getp(ctx: usize, f: i32): usize {
  return <usize>load<u32>(ctx + ((<usize>f) << 2));
}
export function getf(ctx: usize, f: i32): f32 {
  return load<f32>(ctx + ((<usize>f) << 2));
}
