import { crc32 } from 'node:zlib';

/**
 * Continues a CRC-32 (IEEE, zlib's) over `data`. Empty chunks leave it unchanged: Node 20's
 * `zlib.crc32(empty, crc)` returns 0 instead of `crc` when the empty view's buffer has no memory
 * behind it (zlib's crc32 resets on a null pointer), which silently broke checksums of files with
 * an empty section.
 */
export function crcUpdate(data: Uint8Array, crc = 0): number {
  return data.length === 0 ? crc : crc32(data, crc);
}
