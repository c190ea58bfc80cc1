/**
 * Reads a zip file's entries for tests: the central directory (ZIP64 included), each entry's
 * stored bytes checked against its CRC-32, and its DOS date and time. Only "stored" entries
 * (method 0), which is what the vault's downloads write.
 */

export interface ZipEntry {
  name: string;
  bytes: Uint8Array;
  /** DOS date and time as written (local time): [year, month, day, hour, minute, second]. */
  dosTime: [number, number, number, number, number, number];
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

export function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

export function readZip(zip: Uint8Array): ZipEntry[] {
  const v = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
  let eocd = -1;
  for (let i = zip.length - 22; i >= Math.max(0, zip.length - 65_557); i--) {
    if (v.getUint32(i, true) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new SyntaxError("Not a zip: no end of central directory");
  let count = v.getUint16(eocd + 10, true);
  let offset = v.getUint32(eocd + 16, true);
  if (offset === 0xffffffff || count === 0xffff) {
    const locator = eocd - 20;
    if (v.getUint32(locator, true) !== 0x07064b50) throw new SyntaxError("ZIP64 locator missing");
    const z64 = Number(v.getBigUint64(locator + 8, true));
    count = Number(v.getBigUint64(z64 + 32, true));
    offset = Number(v.getBigUint64(z64 + 48, true));
  }
  const decoder = new TextDecoder("utf-8", { fatal: true });
  const out: ZipEntry[] = [];
  for (let i = 0; i < count; i++) {
    if (v.getUint32(offset, true) !== 0x02014b50) throw new SyntaxError(`Bad entry ${i}`);
    const method = v.getUint16(offset + 10, true);
    const time = v.getUint16(offset + 12, true);
    const date = v.getUint16(offset + 14, true);
    const crc = v.getUint32(offset + 16, true);
    let size = v.getUint32(offset + 20, true);
    const nameLength = v.getUint16(offset + 28, true);
    const extraLength = v.getUint16(offset + 30, true);
    const commentLength = v.getUint16(offset + 32, true);
    let local = v.getUint32(offset + 42, true);
    const name = decoder.decode(zip.subarray(offset + 46, offset + 46 + nameLength));
    // ZIP64 extra field: the 64-bit sizes and offset that did not fit.
    let e = offset + 46 + nameLength;
    const end = e + extraLength;
    while (e < end) {
      const id = v.getUint16(e, true);
      const len = v.getUint16(e + 2, true);
      if (id === 0x0001) {
        let p = e + 4;
        if (size === 0xffffffff) {
          p += 8; // uncompressed size first
          size = Number(v.getBigUint64(p, true));
          p += 8;
        }
        if (local === 0xffffffff) local = Number(v.getBigUint64(p, true));
      }
      e += 4 + len;
    }
    if (method !== 0) throw new SyntaxError(`${name}: compression method ${method}, not stored`);
    if (v.getUint32(local, true) !== 0x04034b50) throw new SyntaxError(`${name}: no local header`);
    const start = local + 30 + v.getUint16(local + 26, true) + v.getUint16(local + 28, true);
    const bytes = zip.slice(start, start + size);
    if (crc32(bytes) !== crc) throw new SyntaxError(`${name}: CRC-32 does not match`);
    out.push({
      name,
      bytes,
      dosTime: [
        (date >> 9) + 1980,
        (date >> 5) & 15,
        date & 31,
        time >> 11,
        (time >> 5) & 63,
        (time & 31) * 2,
      ],
    });
    offset += 46 + nameLength + extraLength + commentLength;
  }
  return out;
}
