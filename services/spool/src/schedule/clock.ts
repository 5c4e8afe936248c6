/** The spool's notion of now, injectable so tests can move time (every query takes `now` from here). */
export interface Clock {
  now(): Date;
}

export const CLOCK = Symbol('CLOCK');

export const systemClock: Clock = { now: () => new Date() };
