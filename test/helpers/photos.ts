/**
 * Tiny images with location metadata, built byte by byte: a JPEG whose Exif holds a GPS
 * directory (latitude 51° 30′ N), an XMP packet, and image data after start-of-scan; and a PNG
 * with an eXIf chunk. Enough structure for the stripping code; not meant to be decoded.
 */

/** A little-endian TIFF block with IFD0 → GPS IFD (latitude ref "N", latitude 51/1 30/1 0/1). */
export function tiffWithGps(): Uint8Array {
  const b = new Uint8Array(8 + 2 + 12 + 4 + 2 + 24 + 4 + 24)
  const v = new DataView(b.buffer)
  b.set([0x49, 0x49, 0x2a, 0x00]) // II*\0
  v.setUint32(4, 8, true) // IFD0 at 8
  v.setUint16(8, 1, true) // one entry
  v.setUint16(10, 0x8825, true) // GPSInfo
  v.setUint16(12, 4, true) // LONG
  v.setUint32(14, 1, true)
  const gps = 26
  v.setUint32(18, gps, true)
  v.setUint32(22, 0, true) // no next IFD
  v.setUint16(gps, 2, true) // two GPS entries
  // GPSLatitudeRef: ASCII, 2 bytes inline "N\0"
  v.setUint16(gps + 2, 1, true)
  v.setUint16(gps + 4, 2, true)
  v.setUint32(gps + 6, 2, true)
  b.set([0x4e, 0x00], gps + 10)
  // GPSLatitude: 3 RATIONALs (24 bytes) at `data`
  const data = gps + 2 + 24 + 4
  v.setUint16(gps + 14, 2, true)
  v.setUint16(gps + 16, 5, true)
  v.setUint32(gps + 18, 3, true)
  v.setUint32(gps + 22, data, true)
  v.setUint32(gps + 26, 0, true)
  for (const [i, n] of [51, 30, 0].entries()) {
    v.setUint32(data + i * 8, n, true)
    v.setUint32(data + i * 8 + 4, 1, true)
  }
  return b
}

const ascii = (s: string) => [...s].map((c) => c.charCodeAt(0))

function segment(marker: number, payload: Uint8Array | number[]): number[] {
  const p = [...payload]
  const length = p.length + 2
  return [0xff, marker, length >> 8, length & 0xff, ...p]
}

/** The image data after start-of-scan (what must come through untouched). */
export const SCAN = [0xff, 0xda, 0x00, 0x04, 0x01, 0x02, 0x11, 0x22, 0x33, 0x44, 0xff, 0xd9]

export function jpegWithLocation(): Uint8Array {
  const exif = [...ascii('Exif'), 0, 0, ...tiffWithGps()]
  const xmp = [
    ...ascii('http://ns.adobe.com/xap/1.0/'),
    0,
    ...ascii('<x:xmpmeta><exif:GPSLatitude>51,30N</exif:GPSLatitude></x:xmpmeta>'),
  ]
  return new Uint8Array([0xff, 0xd8, ...segment(0xe1, exif), ...segment(0xe1, xmp), ...SCAN])
}

function crcTable(): number[] {
  return Array.from({ length: 256 }, (_, n) => {
    let c = n
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
    return c >>> 0
  })
}
const TABLE = crcTable()
function crc32(bytes: number[]): number {
  let c = 0xffffffff
  for (const b of bytes) c = TABLE[(c ^ b) & 0xff]! ^ (c >>> 8)
  return (c ^ 0xffffffff) >>> 0
}

function chunk(type: string, data: number[]): number[] {
  const body = [...ascii(type), ...data]
  const crc = crc32(body)
  const n = data.length
  return [
    n >>> 24,
    (n >>> 16) & 0xff,
    (n >>> 8) & 0xff,
    n & 0xff,
    ...body,
    crc >>> 24,
    (crc >>> 16) & 0xff,
    (crc >>> 8) & 0xff,
    crc & 0xff,
  ]
}

export function pngWithLocation(): Uint8Array {
  const signature = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]
  const ihdr = chunk('IHDR', [0, 0, 0, 1, 0, 0, 0, 1, 8, 2, 0, 0, 0])
  return new Uint8Array([
    ...signature,
    ...ihdr,
    ...chunk('eXIf', [...tiffWithGps()]),
    ...chunk('IDAT', [0x78, 0x9c, 0x63, 0, 0, 0, 2, 0, 1]),
    ...chunk('IEND', []),
  ])
}

/** Whether the bytes still hold the latitude (51/1 30/1 as little-endian rationals). */
export function holdsLatitude(b: Uint8Array): boolean {
  const needle = [51, 0, 0, 0, 1, 0, 0, 0, 30, 0, 0, 0, 1, 0, 0, 0]
  outer: for (let i = 0; i <= b.length - needle.length; i++) {
    for (let j = 0; j < needle.length; j++) if (b[i + j] !== needle[j]) continue outer
    return true
  }
  return false
}
