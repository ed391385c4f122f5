/** braintools.surrogate: Heaviside spikes forward, a smooth derivative backward (classes live with the neurons that take them). */
export {
  Surrogate, Sigmoid, SoftSign, Arctan, ERF, PiecewiseQuadratic, PiecewiseExp, PiecewiseLeakyRelu, LeakyRelu, LogTailedRelu, ReluGrad,
  GaussianGrad, MultiGaussianGrad, InvSquareGrad, SlayerGrad, QPseudoSpike, S2NN, NonzeroSignLog, SquarewaveFourierSeries, type SpikeFunction,
} from '@spiketrace/models';
