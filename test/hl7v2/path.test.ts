import { describe, expect, it } from 'vitest';
import { parsePath } from '@sealpost/sdk/hl7v2';

describe('parsePath', () => {
  it.each([
    ['PID-5', { segment: 'PID', field: 5 }],
    ['PID-5.1', { segment: 'PID', field: 5, component: 1 }],
    ['PID-3[2].1', { segment: 'PID', field: 3, repetition: 2, component: 1 }],
    ['OBX[3]-5', { segment: 'OBX', occurrence: 3, field: 5 }],
    ['OBR-32.1.2', { segment: 'OBR', field: 32, component: 1, subcomponent: 2 }],
    ['ZB1[10]-12[3].4.5', { segment: 'ZB1', occurrence: 10, field: 12, repetition: 3, component: 4, subcomponent: 5 }],
  ])('%s', (path, expected) => {
    expect(parsePath(path)).toEqual(expected);
  });

  it.each(['PID', 'PID-0', 'PID-5.0', 'pid-5', 'PID-5[0]', 'PID-5..1', 'PID-5.1.2.3', 'PI-5', 'PID-x', 'OBX[]-5', ' PID-5'])('rejects %j', (path) => {
    expect(() => parsePath(path)).toThrow(TypeError);
  });
});
