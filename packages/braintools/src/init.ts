/** braintools.init: seeded initializers, `(shape) => Quantity`. */
export { Constant, Normal, Uniform, KaimingNormal, initValue, type Initializer, type InitLike } from '@spiketrace/models';
