import { brainstate, releaseDevice } from 'spiketrace';
import { Tensor, ops } from '@spiketrace/compiler';
const x = Tensor.fromArray([1, 2, 3], [3], 'u32');
for (const op of ['neg', 'sign'] as const) {
  console.log('eager', op, Array.from(ops.unary(op, x).data));
  try {
    const r = await brainstate.transform.jit((a: Tensor) => ops.unary(op, a))(x);
    console.log('gpu', op, Array.from((r as Tensor).data));
  } catch (e) { console.log('gpu', op, 'ERROR', (e as Error).message.split('\n').slice(0, 3).join(' | ')); }
}
releaseDevice();
