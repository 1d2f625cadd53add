import { parseJsonExact } from '../../src/json/exact';

describe('parseJsonExact: integers beyond 2^53 stay exact', () => {
  it('quotes only unsafe integer literals outside strings; everything else is JSON.parse', () => {
    expect(parseJsonExact('{"id":12345678901234567890,"n":9007199254740991,"m":-9007199254740993}')).toEqual({
      id: '12345678901234567890',
      n: 9007199254740991,
      m: '-9007199254740993',
    });
    expect(parseJsonExact('{"s":"12345678901234567890","f":12345678901234567890.5,"e":1e300,"z":0}')).toEqual(
      {
        s: '12345678901234567890',
        f: Number('12345678901234567890.5'),
        e: 1e300,
        z: 0,
      },
    );
    expect(parseJsonExact('[9007199254740992, "x\\"9007199254740993", 1]')).toEqual([
      '9007199254740992',
      'x"9007199254740993',
      1,
    ]);
  });

  it('refuses what JSON.parse refuses', () => {
    expect(() => parseJsonExact('{"a":12345678901234567890')).toThrow(SyntaxError);
    expect(() => parseJsonExact('not json')).toThrow(SyntaxError);
  });
});
