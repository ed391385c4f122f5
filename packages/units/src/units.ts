/**
 * The standard units, each both a Unit and a constructor: `mV(-65)` is a Quantity, `mV` a Unit.
 * Registration order matters: the first unit registered for a (dim, exponent, factor) names
 * products that land on it (mA*ohm -> mV, 1/ms -> kHz).
 */
import { callable, defineUnit, scaled, type UnitFn } from './constructors.ts';
import { Unit } from './unit.ts';

//                        m  kg  s  A  K mol cd
const D = {
  length: [1, 0, 0, 0, 0, 0, 0],
  mass: [0, 1, 0, 0, 0, 0, 0],
  time: [0, 0, 1, 0, 0, 0, 0],
  current: [0, 0, 0, 1, 0, 0, 0],
  temperature: [0, 0, 0, 0, 1, 0, 0],
  amount: [0, 0, 0, 0, 0, 1, 0],
  luminosity: [0, 0, 0, 0, 0, 0, 1],
  area: [2, 0, 0, 0, 0, 0, 0],
  volume: [3, 0, 0, 0, 0, 0, 0],
  frequency: [0, 0, -1, 0, 0, 0, 0],
  force: [1, 1, -2, 0, 0, 0, 0],
  energy: [2, 1, -2, 0, 0, 0, 0],
  power: [2, 1, -3, 0, 0, 0, 0],
  charge: [0, 0, 1, 1, 0, 0, 0],
  voltage: [2, 1, -3, -1, 0, 0, 0],
  resistance: [2, 1, -3, -2, 0, 0, 0],
  conductance: [-2, -1, 3, 2, 0, 0, 0],
  capacitance: [-2, -1, 4, 2, 0, 0, 0],
  concentration: [-3, 0, 0, 0, 0, 1, 0],
} as const;

// ---- dimensionless
export const dimensionless: UnitFn = callable(Unit.dimensionless);
export const unitless = dimensionless;

// ---- base units
export const meter = defineUnit('m', D.length);
export const m = meter;
export const metre = meter;
export const km = scaled(meter, 3, 'km');
export const cm = scaled(meter, -2, 'cm');
export const mm = scaled(meter, -3, 'mm');
export const um = scaled(meter, -6, 'um');
export const nm = scaled(meter, -9, 'nm');

export const kilogram = defineUnit('kg', D.mass);
export const kg = kilogram;
export const gram = defineUnit('g', D.mass, -3);
export const g = gram;
export const mg = defineUnit('mg', D.mass, -6);

export const second = defineUnit('s', D.time);
export const s = second;
export const ms = scaled(second, -3, 'ms');
export const us = scaled(second, -6, 'us');
export const ns = scaled(second, -9, 'ns');
export const minute = defineUnit('min', D.time, 0, 60);
export const hour = defineUnit('h', D.time, 0, 3600);

export const ampere = defineUnit('A', D.current);
export const amp = ampere;
export const A = ampere;
export const mA = scaled(ampere, -3, 'mA');
export const uA = scaled(ampere, -6, 'uA');
export const nA = scaled(ampere, -9, 'nA');
export const pA = scaled(ampere, -12, 'pA');

export const kelvin = defineUnit('K', D.temperature);
export const K = kelvin;

export const mole = defineUnit('mol', D.amount);
export const mol = mole;
export const mmol = scaled(mole, -3, 'mmol');
export const umol = scaled(mole, -6, 'umol');
export const nmol = scaled(mole, -9, 'nmol');

export const candela = defineUnit('cd', D.luminosity);
export const cd = candela;

// ---- derived units
export const volt = defineUnit('V', D.voltage);
export const V = volt;
export const mV = scaled(volt, -3, 'mV');
export const uV = scaled(volt, -6, 'uV');
export const kV = scaled(volt, 3, 'kV');

export const siemens = defineUnit('S', D.conductance);
export const S = siemens;
export const mS = scaled(siemens, -3, 'mS');
export const uS = scaled(siemens, -6, 'uS');
export const nS = scaled(siemens, -9, 'nS');
export const pS = scaled(siemens, -12, 'pS');

export const farad = defineUnit('F', D.capacitance);
export const F = farad;
export const mF = scaled(farad, -3, 'mF');
export const uF = scaled(farad, -6, 'uF');
export const nF = scaled(farad, -9, 'nF');
export const pF = scaled(farad, -12, 'pF');

export const ohm = defineUnit('ohm', D.resistance);
export const kohm = scaled(ohm, 3, 'kohm');
export const Mohm = scaled(ohm, 6, 'Mohm');
export const Gohm = scaled(ohm, 9, 'Gohm');

export const hertz = defineUnit('Hz', D.frequency);
export const Hz = hertz;
export const kHz = scaled(hertz, 3, 'kHz');
export const MHz = scaled(hertz, 6, 'MHz');

export const coulomb = defineUnit('C', D.charge);
export const C = coulomb;
export const nC = scaled(coulomb, -9, 'nC');
export const pC = scaled(coulomb, -12, 'pC');

export const newton = defineUnit('N', D.force);
export const N = newton;
export const joule = defineUnit('J', D.energy);
export const J = joule;
export const watt = defineUnit('W', D.power);
export const W = watt;
export const mW = scaled(watt, -3, 'mW');

export const liter = defineUnit('L', D.volume, -3);
export const litre = liter;
export const L = liter;
export const mL = scaled(liter, -3, 'mL');
export const uL = scaled(liter, -6, 'uL');

// molar = mol/L = 10^3 mol/m^3, so mM has exponent 0
export const molar = defineUnit('M', D.concentration, 3);
export const M = molar;
export const mM = scaled(molar, -3, 'mM');
export const uM = scaled(molar, -6, 'uM');
export const nM = scaled(molar, -9, 'nM');

// ---- areas (membrane densities such as uF/cm^2)
export const meter2 = defineUnit('m^2', D.area);
export const cm2 = defineUnit('cm^2', D.area, -4);
export const mm2 = defineUnit('mm^2', D.area, -6);
export const um2 = defineUnit('um^2', D.area, -12);
