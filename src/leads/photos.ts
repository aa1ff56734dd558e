/**
 * Photos sent with an enquiry: the type is read from the bytes (never the file name or the
 * browser's claim), the size is bounded, and location is removed before anything is stored:
 * the GPS directory of every Exif block is blanked in place and XMP packets (which may repeat the
 * location) are blanked or dropped. A photo whose metadata cannot be read safely is refused.
 */

export const MAX_PHOTOS = 5
export const MAX_PHOTO_BYTES = 10 * 1024 * 1024

export type PhotoType = 'image/jpeg' | 'image/png' | 'image/webp' | 'image/heic'

const HEIF_BRANDS = new Set(['heic', 'heix', 'hevc', 'hevx', 'heim', 'heis', 'mif1', 'msf1'])

const ascii = (b: Uint8Array, at: number, n: number) =>
  String.fromCharCode(...b.subarray(at, Math.min(b.length, at + n)))

/** The photo's type from its first bytes, or null when it is none of JPEG, PNG, WebP or HEIC. */
export function sniffPhotoType(b: Uint8Array): PhotoType | null {
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'image/jpeg'
  if (b.length >= 8 && ascii(b, 1, 3) === 'PNG' && b[0] === 0x89 && b[4] === 0x0d)
    return 'image/png'
  if (b.length >= 12 && ascii(b, 0, 4) === 'RIFF' && ascii(b, 8, 4) === 'WEBP') return 'image/webp'
  if (b.length >= 12 && ascii(b, 4, 4) === 'ftyp' && HEIF_BRANDS.has(ascii(b, 8, 4)))
    return 'image/heic'
  return null
}

export class UnreadableMetadataError extends Error {
  override name = 'UnreadableMetadataError'
}

/** The same photo with its location removed (a new array; the input is not changed). */
export function stripLocation(input: Uint8Array, type: PhotoType): Uint8Array {
  const b = new Uint8Array(input)
  switch (type) {
    case 'image/jpeg':
      return stripJpeg(b)
    case 'image/png':
      return stripPng(b)
    case 'image/webp':
    case 'image/heic':
      blankExifMarkers(b)
      blankXmp(b)
      return b
  }
}

// --- Exif (TIFF) -------------------------------------------------------------------------------

const TYPE_BYTES: Record<number, number> = { 1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 7: 1, 9: 4, 10: 8 }
const GPS_IFD_TAG = 0x8825

/**
 * Blanks the GPS directory of the TIFF structure at `tiff` (an Exif block): its entries and the
 * values they point to become zero and its count 0, in place, so every offset stays valid.
 */
export function blankGpsInTiff(b: Uint8Array, tiff: number, end = b.length): void {
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength)
  const order = ascii(b, tiff, 2)
  if (order !== 'II' && order !== 'MM') throw new UnreadableMetadataError('not a TIFF header')
  const le = order === 'II'
  const u16 = (at: number) => {
    if (at < tiff || at + 2 > end) throw new UnreadableMetadataError('outside the Exif block')
    return view.getUint16(at, le)
  }
  const u32 = (at: number) => {
    if (at < tiff || at + 4 > end) throw new UnreadableMetadataError('outside the Exif block')
    return view.getUint32(at, le)
  }
  if (u16(tiff + 2) !== 42) throw new UnreadableMetadataError('not a TIFF header')
  const ifd0 = tiff + u32(tiff + 4)
  const entries = u16(ifd0)
  for (let i = 0; i < entries; i++) {
    const entry = ifd0 + 2 + i * 12
    if (u16(entry) !== GPS_IFD_TAG) continue
    const gps = tiff + u32(entry + 8)
    const count = u16(gps)
    for (let j = 0; j < count; j++) {
      const e = gps + 2 + j * 12
      const size = (TYPE_BYTES[u16(e + 2)] ?? 1) * u32(e + 4)
      if (size > 4) {
        const at = tiff + u32(e + 8)
        if (at + size > end) throw new UnreadableMetadataError('GPS value outside the block')
        b.fill(0, at, at + size)
      }
    }
    b.fill(0, gps, gps + 2 + count * 12 + 4)
  }
}

const EXIF_MARKER = [0x45, 0x78, 0x69, 0x66, 0, 0] // "Exif\0\0"

function indexOf(b: Uint8Array, needle: readonly number[], from = 0): number {
  outer: for (let i = from; i <= b.length - needle.length; i++) {
    for (let j = 0; j < needle.length; j++) if (b[i + j] !== needle[j]) continue outer
    return i
  }
  return -1
}

/** WebP and HEIC: every "Exif\0\0" block's GPS directory blanked (RIFF/ISO-BMFF sizes unchanged). */
function blankExifMarkers(b: Uint8Array): void {
  for (let at = indexOf(b, EXIF_MARKER); at >= 0; at = indexOf(b, EXIF_MARKER, at + 6)) {
    const order = ascii(b, at + 6, 2)
    if (order === 'II' || order === 'MM') blankGpsInTiff(b, at + 6)
  }
  // WebP's EXIF chunk may hold the TIFF header without the "Exif\0\0" prefix.
  if (ascii(b, 0, 4) === 'RIFF') {
    for (let at = 12; at + 8 <= b.length; ) {
      const size = new DataView(b.buffer, b.byteOffset).getUint32(at + 4, true)
      const order = ascii(b, at + 8, 2)
      if (ascii(b, at, 4) === 'EXIF' && (order === 'II' || order === 'MM')) {
        blankGpsInTiff(b, at + 8, Math.min(b.length, at + 8 + size))
      }
      at += 8 + size + (size % 2)
    }
  }
}

// --- XMP ---------------------------------------------------------------------------------------

const XMP_OPEN = [...'<x:xmpmeta'].map((c) => c.charCodeAt(0))
const XMP_CLOSE = [...'</x:xmpmeta>'].map((c) => c.charCodeAt(0))

/** Every XMP packet overwritten with spaces, in place (sizes unchanged). */
function blankXmp(b: Uint8Array): void {
  for (let at = indexOf(b, XMP_OPEN); at >= 0; at = indexOf(b, XMP_OPEN, at + 1)) {
    const close = indexOf(b, XMP_CLOSE, at)
    const end = close < 0 ? b.length : close + XMP_CLOSE.length
    b.fill(0x20, at, end)
  }
}

// --- JPEG --------------------------------------------------------------------------------------

/** JPEG: Exif GPS blanked in its APP1 segment; XMP APP1 segments dropped. */
function stripJpeg(b: Uint8Array): Uint8Array {
  const keep: [number, number][] = [[0, 2]]
  let at = 2
  while (at + 4 <= b.length) {
    if (b[at] !== 0xff) throw new UnreadableMetadataError('JPEG segment expected')
    const marker = b[at + 1]!
    if (marker === 0xda || marker === 0xd9) break // start of scan: the rest is image data
    const length = (b[at + 2]! << 8) | b[at + 3]!
    const end = at + 2 + length
    if (length < 2 || end > b.length) throw new UnreadableMetadataError('JPEG segment too long')
    const isApp1 = marker === 0xe1
    if (isApp1 && indexOf(b.subarray(at + 4, at + 10), EXIF_MARKER) === 0) {
      blankGpsInTiff(b, at + 10, end)
      keep.push([at, end])
    } else if (!(isApp1 && ascii(b, at + 4, 28) === 'http://ns.adobe.com/xap/1.0/')) {
      keep.push([at, end])
    }
    at = end
  }
  keep.push([at, b.length])
  return concat(b, keep)
}

// --- PNG ---------------------------------------------------------------------------------------

/** PNG: the eXIf chunk and XMP text chunks dropped (editing them in place would break the CRC). */
function stripPng(b: Uint8Array): Uint8Array {
  const keep: [number, number][] = [[0, 8]]
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength)
  let at = 8
  while (at + 12 <= b.length) {
    const length = view.getUint32(at)
    const type = ascii(b, at + 4, 4)
    const end = at + 12 + length
    if (end > b.length) throw new UnreadableMetadataError('PNG chunk too long')
    const xmp = type === 'iTXt' && ascii(b, at + 8, 17) === 'XML:com.adobe.xmp'
    if (type !== 'eXIf' && !xmp) keep.push([at, end])
    at = end
    if (type === 'IEND') break
  }
  return concat(b, keep)
}

function concat(b: Uint8Array, ranges: [number, number][]): Uint8Array {
  const out = new Uint8Array(ranges.reduce((n, [s, e]) => n + (e - s), 0))
  let o = 0
  for (const [s, e] of ranges) {
    out.set(b.subarray(s, e), o)
    o += e - s
  }
  return out
}
