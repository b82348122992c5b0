/** CRC16/XMODEM of the hash tag (or the whole key) mod 16384: the Redis Cluster key slot (cluster spec, "Keys distribution model"). */
export function keySlot(key: string): number {
  const bytes = Buffer.from(key);
  const open = bytes.indexOf('{');
  let part = bytes;
  if (open !== -1) {
    const close = bytes.indexOf('}', open + 1);
    if (close > open + 1) part = bytes.subarray(open + 1, close);
  }
  let crc = 0;
  for (const byte of part) {
    crc ^= byte << 8;
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc % 16384;
}
