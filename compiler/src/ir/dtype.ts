/** Element types the IR knows. `bool` lives as u32 (0/1) in GPU buffers: WGSL bool is not host-shareable. */
export type DType = 'f32' | 'i32' | 'u32' | 'bool';

export type TypedArray = Float32Array | Int32Array | Uint32Array | Uint8Array;

export function allocArray(dtype: DType, size: number): TypedArray {
  switch (dtype) {
    case 'f32': return new Float32Array(size);
    case 'i32': return new Int32Array(size);
    case 'u32': return new Uint32Array(size);
    case 'bool': return new Uint8Array(size);
  }
}

/** WGSL type of one element held in a register. */
export function wgslType(dtype: DType): string {
  return dtype === 'f32' ? 'f32' : dtype === 'i32' ? 'i32' : dtype === 'u32' ? 'u32' : 'bool';
}

/** WGSL type of one element as stored in a buffer. */
export function wgslStorageType(dtype: DType): string {
  return dtype === 'bool' ? 'u32' : wgslType(dtype);
}

export function isFloat(dtype: DType): boolean {
  return dtype === 'f32';
}
