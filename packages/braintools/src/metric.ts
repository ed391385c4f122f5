/**
 * braintools.metric: losses, written with the same ops as models, so they run eagerly on the host
 * (and are differentiated by grad's tape) or inside a traced step alike.
 */
import { ops, Tensor } from '@spiketrace/compiler';
import { isQuantity, type Quantity } from '@spiketrace/units';

function logitsOf(what: string, x: Quantity | Tensor): Tensor {
  if (isQuantity(x)) {
    if (!x.unit.isDimensionless) throw new TypeError(`${what}: logits must be dimensionless, got a quantity in ${x.unit.name}`);
    return x.toDecimal();
  }
  return x;
}

/** log(sum(exp(x))) over the last axis, stable (the max is subtracted and carries no gradient). */
export function logsumexp(x: Tensor): Tensor {
  const axis = x.shape.length - 1;
  const m = ops.stopGradient(ops.reduce('rmax', x, axis, true));
  const s = ops.reduce('sum', ops.unary('exp', ops.sub(x, m)), axis, true);
  return ops.reshape(ops.add(ops.unary('log', s), m), x.shape.slice(0, -1));
}

/** log softmax over the last axis. */
export function logSoftmax(x: Quantity | Tensor): Tensor {
  const l = logitsOf('logSoftmax', x);
  return ops.sub(l, ops.reshape(logsumexp(l), [...l.shape.slice(0, -1), 1]));
}

/** One-hot rows [..., classes] (f32) of integer labels [...]. */
export function oneHot(labels: Tensor, classes: number): Tensor {
  const cls = Tensor.fromArray(Int32Array.from({ length: classes }, (_v, i) => i), [classes], 'i32');
  return ops.cast(ops.compare('eq', ops.reshape(ops.cast(labels, 'i32'), [...labels.shape, 1]), cls), 'f32');
}

/**
 * Cross-entropy of softmax(logits) against integer labels (optax.softmax_cross_entropy_with_integer_labels):
 * logits [..., C], labels [...] -> loss [...].
 */
export function softmaxCrossEntropyWithIntegerLabels(logits: Quantity | Tensor, labels: Tensor): Tensor {
  const l = logitsOf('softmaxCrossEntropyWithIntegerLabels', logits);
  const C = l.shape[l.shape.length - 1] as number;
  if (labels.shape.join() !== l.shape.slice(0, -1).join()) {
    throw new RangeError(`softmaxCrossEntropyWithIntegerLabels: labels have shape [${labels.shape.join(', ')}], logits [${l.shape.join(', ')}]: expected labels [${l.shape.slice(0, -1).join(', ')}]`);
  }
  const labelHost = labels.isTraced ? undefined : labels.toHost().data;
  if (labelHost && [...labelHost].some((v) => v < 0 || v >= C || !Number.isInteger(v))) {
    throw new RangeError(`softmaxCrossEntropyWithIntegerLabels: labels must be integers in [0, ${C})`);
  }
  const picked = ops.reduce('sum', ops.mul(l, oneHot(labels, C)), l.shape.length - 1);
  return ops.sub(logsumexp(l), picked);
}

/** Mean squared error over every element. */
export function squaredError(pred: Tensor, target: Tensor): Tensor {
  const d = ops.sub(pred, target);
  return ops.mul(d, d);
}
