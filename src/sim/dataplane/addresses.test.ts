import { describe, expect, test } from 'vitest';
import { contains, formatAddress, ipFamily, isLoopback, isUnspecified, parseAddress } from './addresses.js';

describe('addresses', () => {
  test.each([
    ['10.0.0.1', '10.0.0.1/32'],
    ['10.244.1.5/24', '10.244.1.0/24'],
    ['0.0.0.0/0', '0.0.0.0/0'],
    ['fd00:0:0::1', 'fd00::1/128'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1/128'],
    ['::', '::/128'],
    ['::1', '::1/128'],
    ['::ffff:10.1.2.3', '::ffff:a01:203/128'],
    ['fd00:10:244:1::5/64', 'fd00:10:244:1::/64'],
  ])('%s → %s', (text, formatted) => {
    expect(formatAddress(parseAddress(text)!)).toBe(formatted);
  });

  test.each(['eth0', '10.0.0.256', '10.0.0', '1:2:3:4:5:6:7:8:9', 'fd00::1::2', '10.0.0.1/33', '01.2.3.4', ''])('%j is not an address', (text) => {
    expect(parseAddress(text)).toBeUndefined();
  });

  test('containment, family, special addresses', () => {
    expect(contains(parseAddress('10.244.0.0/16')!, parseAddress('10.244.3.7')!)).toBe(true);
    expect(contains(parseAddress('10.244.0.0/16')!, parseAddress('10.245.0.1')!)).toBe(false);
    expect(contains(parseAddress('0.0.0.0/0')!, parseAddress('8.8.8.8')!)).toBe(true);
    expect(contains(parseAddress('0.0.0.0/0')!, parseAddress('::1')!)).toBe(false);
    expect(ipFamily('fd00::1')).toBe('ipv6');
    expect(ipFamily('10.0.0.0/8')).toBeUndefined();
    expect(isUnspecified('0.0.0.0')).toBe(true);
    expect(isUnspecified('::')).toBe(true);
    expect(isUnspecified('0.0.0.0/8')).toBe(false);
    expect(isLoopback('127.0.0.53')).toBe(true);
    expect(isLoopback('::1')).toBe(true);
    expect(isLoopback('10.0.0.1')).toBe(false);
  });
});
